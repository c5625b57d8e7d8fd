-- Play/pause pairs of many students, in the simple shape of POST /api/v1/progress.
-- Data file: token, video id. Each (student, video) pair gets a play; its pause follows once
-- at least two whole seconds have passed (two readings of a clock in whole seconds), so
-- that the pause does not overtake its play on another connection. Pairs are used in turn; a
-- pair comes back only after the whole list, long after its pause.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local PATH = "/api/v1/progress"

function init(args)
  rows = load_rows()
  for _, row in ipairs(rows) do
    row.headers = headers_for(row[1])
  end
  queue = {}
  first = 1
  last = 0
  position = 0
  extra_counts = {play = 0, pause = 0}
end

local function now_iso()
  return os.date("!%Y-%m-%dT%H:%M:%SZ")
end

function request()
  local now = os.time()
  local head = queue[first]
  if head ~= nil and now - head.sent >= 3 then
    queue[first] = nil
    first = first + 1
    extra_counts.pause = extra_counts.pause + 1
    local body = string.format(
      '{"video_id": %s, "end_time": "%s", "watchtime_seconds": %d}',
      head.row[2], now_iso(), now - head.sent)
    return wrk.format("POST", PATH, head.row.headers, body)
  end
  position = position % #rows + 1
  local row = rows[position]
  last = last + 1
  queue[last] = {row = row, sent = now}
  extra_counts.play = extra_counts.play + 1
  local body = string.format('{"video_id": %s, "start_time": "%s"}', row[2], now_iso())
  return wrk.format("POST", PATH, row.headers, body)
end
