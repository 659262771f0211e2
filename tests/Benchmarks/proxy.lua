-- wrk script for tests/Benchmarks/proxy.sh: POSTs BENCH_BODY (with BENCH_AUTH as the bearer token, if set) and prints
-- one machine-readable RESULT line at the end. Latencies are in microseconds, to a response's last byte.
--
-- Two kinds of latency:
-- - p50_us, p90_us, p99_us, max_us: wrk's own figures. wrk corrects them for coordinated omission: every request slower
--   than twice the mean interval (run time ÷ requests per connection) adds synthetic samples, as if requests had kept
--   arriving at that rate. At one connection a single 5 ms stall of a 0.3 ms cycle becomes ~15 samples, so these
--   percentiles are not what any request took.
-- - rec_p50_us ... rec_max_us (with BENCH_RECORD=1): each request's own time, taken here from the monotonic clock
--   between handing wrk the request and its response. Only with one connection per wrk thread (the script cannot tell
--   a thread's connections apart).
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
local auth = os.getenv("BENCH_AUTH")
if auth ~= nil and auth ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. auth
end

if os.getenv("BENCH_RECORD") == "1" then
  local ffi = require("ffi")
  ffi.cdef [[
    typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
    int clock_gettime(int clock, bench_timespec *ts);
  ]]
  local ts = ffi.new("bench_timespec")
  local function now_us()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
  end
  local prepared, started = nil, 0
  recorded = {}
  function init(args)
    prepared = wrk.format() -- here, not at load: wrk sets the URL's path after loading the script
  end
  function request()
    started = now_us()
    return prepared
  end
  function response(status, headers, body)
    recorded[#recorded + 1] = now_us() - started
  end
end

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
end

local function recorded_stats()
  local all = {}
  for _, thread in ipairs(threads) do
    for _, v in ipairs(thread:get("recorded") or {}) do
      all[#all + 1] = v
    end
  end
  local n = #all
  if n == 0 then
    return ""
  end
  table.sort(all)
  local function at(q) return all[math.max(1, math.ceil(n * q))] end
  return string.format(" rec_n=%d rec_p50_us=%d rec_p90_us=%d rec_p99_us=%d rec_max_us=%d", n, at(0.5), at(0.9), at(0.99), all[n])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d socket_errors=%d%s\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout, recorded_stats()))
end
