-- wrk script for tests/Benchmarks/proxy.sh's RSS measurement: issues keys through POST /api/keys (the API's own path,
-- one event stream per key) until each thread has BENCH_KEYS_PER_THREAD keys answered 201, then stops (wrk itself
-- waits out its -d; proxy.sh interrupts it once the keys are in).
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  quota = tonumber(os.getenv("BENCH_KEYS_PER_THREAD"))
  issued = 0
  sent = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  sent = sent + 1
  return wrk.format(nil, nil, nil, string.format(
    '{"app":"bench-keys-%d","name":"key-%d-%d","models":["bench-model"]}', sent % 100, id, sent))
end

function response(status, headers, body)
  if status == 201 then issued = issued + 1 end
  if issued >= quota then wrk.thread:stop() end
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d seconds=%.3f rps=%.1f p50_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
