-- wrk script for bench/gateway/run.sh: POSTs the request body run.sh wrote, with the headers it names.
--   BENCH_BODY_FILE  the JSON body (run.sh writes it once per target and mode, so curl's check sends the same bytes)
--   BENCH_HEADERS    extra request headers, "Name: value" pairs separated by "|" (keys, Portkey's routing headers)
-- Prints one summary line prefixed "WRKJSON ".
local body_file = assert(os.getenv("BENCH_BODY_FILE"), "BENCH_BODY_FILE is not set")
local extra = os.getenv("BENCH_HEADERS") or ""
local f = assert(io.open(body_file, "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = string.find(body, '"stream":true', 1, true) and "text/event-stream" or "application/json"
for pair in string.gmatch(extra, "[^|]+") do
  local name, value = string.match(pair, "^%s*([^:]+):%s*(.-)%s*$")
  if name then wrk.headers[name] = value end
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_s":%.3f,"rps":%.1f,"bytes":%d,"errors":%d,"non2xx":%d,'
      .. '"lat_p50_us":%d,"lat_p90_us":%d,"lat_p99_us":%d,"lat_max_us":%d}\n',
    summary.requests, secs, summary.requests / secs, summary.bytes,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
