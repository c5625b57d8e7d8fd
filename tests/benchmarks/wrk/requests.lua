-- Replays the data file's requests in a loop: token, method, path, body (JSON or empty).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

function init(args)
  rows = load_rows()
  prepared = {}
  for index, row in ipairs(rows) do
    local body = row[4]
    if body == "" then body = nil end
    prepared[index] = wrk.format(row[2], row[3], headers_for(row[1]), body)
  end
  position = 0
end

function request()
  position = position % #prepared + 1
  return prepared[position]
end
