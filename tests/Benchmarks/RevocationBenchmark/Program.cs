using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

// Revocation benchmark driver (run by tests/Benchmarks/revocation.sh, which starts the API, two adapters, the mock
// upstream and PostgreSQL on 127.0.0.1 and passes their addresses in the environment).
//
// Per revocation: a fresh key is proven usable through both adapters, then revoked through the API; "committed" is the
// moment the revoke's HTTP answer arrives. Each adapter is then probed with the key, one call after another, until it
// answers "revoked"; the latency is committed → that refusal's arrival, per adapter and (the figure that matters for a
// caller with both) until both refuse. Meanwhile BENCH_LOAD_CONNECTIONS loops call both adapters with another key, so
// the adapters forward, journal and ship usage and the API records it while the revocations go through the feed.

var api = new Uri(Need("BENCH_API_URL"));
var adapters = new[] { Need("BENCH_PROXY_A"), Need("BENCH_PROXY_B") }.Select(u => new Uri(u)).ToArray();
var admin = Need("BENCH_ADMIN_TOKEN");
var model = Need("BENCH_MODEL");
var app = Need("BENCH_APP");
var revocations = Number("BENCH_REVOCATIONS", 1000);
var loadConnections = Number("BENCH_LOAD_CONNECTIONS", 8);
var resultFile = Need("BENCH_RESULT");
var deadline = Stopwatch.StartNew();
var budget = TimeSpan.FromSeconds(Number("BENCH_MAX_SECONDS", 600));

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
{
    Timeout = TimeSpan.FromSeconds(10),
};
var chat = Encoding.UTF8.GetBytes($$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}],"max_tokens":16}""");

async Task<(HttpStatusCode Status, string Body)> Call(Uri adapter, string key)
{
    using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(adapter, "/v1/chat/completions")) { Content = new ByteArrayContent(chat) };
    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
    using var response = await http.SendAsync(request);
    return (response.StatusCode, await response.Content.ReadAsStringAsync());
}

async Task<JsonElement> Admin(HttpMethod method, string path, object body)
{
    using var request = new HttpRequestMessage(method, new Uri(api, path)) { Content = JsonContent.Create(body) };
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
    using var response = await http.SendAsync(request);
    var text = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode)
        throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {text}");
    return JsonDocument.Parse(text).RootElement.Clone();
}

async Task<(string Id, string Key)> Issue(string name)
{
    var issued = await Admin(HttpMethod.Post, "/api/keys", new { app, name, models = new[] { model } });
    return (issued.GetProperty("id").GetString()!, issued.GetProperty("key").GetString()!);
}

// Until every adapter answers the key (the feed has brought it to both).
async Task<int> UsableEverywhere(string key)
{
    var calls = 0;
    foreach (var adapter in adapters)
        while (true)
        {
            calls++;
            var (status, body) = await Call(adapter, key);
            if (status == HttpStatusCode.OK)
                break;
            if (deadline.Elapsed > budget)
                throw new TimeoutException($"{adapter} never accepted a fresh key: {(int)status} {body}");
        }
    return calls;
}

Console.Error.WriteLine($"revocation: {revocations} revocations through {adapters.Length} adapters, {loadConnections} load loops");
var loadKey = await Issue("load");
await UsableEverywhere(loadKey.Key);

long loadOk = 0, loadFailed = 0;
using var stopLoad = new CancellationTokenSource();
var load = Enumerable.Range(0, loadConnections).Select(i => Task.Run(async () =>
{
    var adapter = adapters[i % adapters.Length];
    while (!stopLoad.IsCancellationRequested)
    {
        try
        {
            var (status, _) = await Call(adapter, loadKey.Key);
            if (status == HttpStatusCode.OK)
                Interlocked.Increment(ref loadOk);
            else
                Interlocked.Increment(ref loadFailed);
        }
        catch (Exception) when (!stopLoad.IsCancellationRequested)
        {
            Interlocked.Increment(ref loadFailed);
        }
        catch (Exception)
        {
            break;
        }
    }
})).ToList();

// Keys are issued a batch ahead, so issuing does not sit between a revocation and its probes.
var perAdapter = adapters.Select(_ => new List<double>()).ToArray();
var both = new List<double>();
var probes = new List<int>();
var roundTrips = new List<double>();
var unexpected = 0;
var loadStarted = Stopwatch.StartNew();
var pending = Issue("revoke-0");
for (var n = 0; n < revocations && deadline.Elapsed < budget; n++)
{
    var (id, key) = await pending;
    pending = Issue($"revoke-{n + 1}");
    await UsableEverywhere(key);

    await Admin(HttpMethod.Post, $"/api/keys/{id}/revoke", new { reason = "revocation benchmark" });
    var committed = Stopwatch.GetTimestamp();
    var refusedAt = await Task.WhenAll(adapters.Select(async adapter =>
    {
        var count = 0;
        while (true)
        {
            var sent = Stopwatch.GetTimestamp();
            var (status, body) = await Call(adapter, key);
            var received = Stopwatch.GetTimestamp();
            count++;
            lock (roundTrips)
                roundTrips.Add(Stopwatch.GetElapsedTime(sent, received).TotalMilliseconds);
            if (status != HttpStatusCode.OK)
            {
                if (!body.Contains("\"revoked\"", StringComparison.Ordinal))
                    Interlocked.Increment(ref unexpected);
                lock (probes)
                    probes.Add(count);
                return Stopwatch.GetElapsedTime(committed, received).TotalMilliseconds;
            }
        }
    }));
    for (var a = 0; a < adapters.Length; a++)
        perAdapter[a].Add(refusedAt[a]);
    both.Add(refusedAt.Max());
    if ((n + 1) % 100 == 0)
        Console.Error.WriteLine($"revocation: {n + 1} done, p50 {P(both, 50):F1} ms, p99 {P(both, 99):F1} ms");
}
var loadSeconds = loadStarted.Elapsed.TotalSeconds;
await stopLoad.CancelAsync();
await Task.WhenAll(load);

var all = perAdapter.SelectMany(l => l).ToList();
var result = new
{
    revocations = both.Count,
    perAdapterP50 = P(all, 50), perAdapterP99 = P(all, 99), perAdapterMax = all.DefaultIfEmpty().Max(),
    bothP50 = P(both, 50), bothP99 = P(both, 99), bothMax = both.DefaultIfEmpty().Max(),
    adapterAP99 = P(perAdapter[0], 99), adapterBP99 = P(perAdapter[1], 99),
    probeRoundTripP50 = P(roundTrips, 50), probeRoundTripP99 = P(roundTrips, 99),
    probesP50 = P(probes.Select(p => (double)p).ToList(), 50), probesMax = probes.DefaultIfEmpty().Max(),
    unexpectedRefusals = unexpected,
    loadCallsPerSecond = (loadOk + loadFailed) / loadSeconds, loadFailed,
};
await File.WriteAllTextAsync(resultFile, JsonSerializer.Serialize(result));
Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
return both.Count >= revocations && unexpected == 0 ? 0 : 1;

static double P(List<double> values, int percentile)
{
    if (values.Count == 0)
        return 0;
    var sorted = values.Order().ToList();
    return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
}

static string Need(string name) =>
    Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : throw new InvalidOperationException($"{name} is not set");

static int Number(string name, int fallback) =>
    Environment.GetEnvironmentVariable(name) is { Length: > 0 } text
        ? int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new InvalidOperationException($"{name} must be a positive whole number, not '{text}'")
        : fallback;
