-- Shared by the bench's wrk scripts: reads this thread's share of the data file, counts
-- responses by status, and writes the summary as JSON to $BENCH_OUT when the run ends.
-- Data file: one request per line, fields separated by tabs.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("thread_index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function split(line)
  local fields = {}
  for field in string.gmatch(line, "([^\t]*)\t?") do
    table.insert(fields, field)
  end
  return fields
end

-- This thread's lines: every line whose number is the thread's index modulo the threads.
function load_rows()
  local rows = {}
  local number = 0
  local count = tonumber(os.getenv("BENCH_THREADS") or "1")
  for line in io.lines(os.getenv("BENCH_DATA")) do
    if number % count == thread_index and line ~= "" then
      table.insert(rows, split(line))
    end
    number = number + 1
  end
  if #rows == 0 then
    error("no rows for thread " .. thread_index)
  end
  return rows
end

statuses = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

BASE_HEADERS = {
  ["Content-Type"] = "application/json",
  ["X-Forwarded-Proto"] = "https",
  ["Accept"] = "application/json",
}

function headers_for(token)
  local headers = {}
  for name, value in pairs(BASE_HEADERS) do headers[name] = value end
  if token ~= nil and token ~= "" and token ~= "-" then
    headers["Authorization"] = "Bearer " .. token
  end
  return headers
end

local function json_number(value)
  if value ~= value or value == math.huge or value == -math.huge then return "null" end
  return string.format("%.3f", value)
end

function done(summary, latency, requests)
  local codes = {}
  local extra = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses") or {}
    for status, count in pairs(counts) do
      codes[status] = (codes[status] or 0) + count
    end
    local more = thread:get("extra_counts") or {}
    for name, count in pairs(more) do
      extra[name] = (extra[name] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(codes) do
    table.insert(parts, string.format('"%d": %d', status, count))
  end
  local extra_parts = {}
  for name, count in pairs(extra) do
    table.insert(extra_parts, string.format('"%s": %d', name, count))
  end
  local percentiles = {}
  for _, p in ipairs({50, 75, 90, 95, 99, 99.9}) do
    table.insert(percentiles, string.format('"%s": %s', tostring(p), json_number(latency:percentile(p) / 1000)))
  end
  local out = io.open(os.getenv("BENCH_OUT"), "w")
  out:write(string.format(
    '{"requests": %d, "duration_s": %s, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_ms": {"mean": %s, "stdev": %s, "max": %s, %s}, "statuses": {%s}, "counts": {%s}}\n',
    summary.requests, json_number(summary.duration / 1e6), summary.bytes,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout,
    json_number(latency.mean / 1000), json_number(latency.stdev / 1000), json_number(latency.max / 1000),
    table.concat(percentiles, ", "), table.concat(parts, ", "), table.concat(extra_parts, ", ")))
  out:close()
end
