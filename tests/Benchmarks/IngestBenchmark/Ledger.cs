using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace IngestBenchmark;

/// <summary>The API as the benchmark uses it: set-up calls, and POST /api/usage with pre-serialised batches.</summary>
internal sealed class Ledger : IDisposable
{
    public const string Provider = "bench-openai";
    public const string Model = "bench-mini";
    public const string BudgetApp = "bench-app-0";

    private readonly HttpClient _http;

    public Ledger(Uri api, string token, int connections)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseProxy = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        };
        _http = new HttpClient(handler) { BaseAddress = api, Timeout = TimeSpan.FromSeconds(60) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public IReadOnlyList<string> KeyIds { get; private set; } = [];

    /// <summary>Provider, model (0.15/0.60 USD per 1M tokens), keys spread over apps, and a monthly budget on one app.</summary>
    public async Task SetUpAsync(int keys, int apps, bool budget)
    {
        await CallAsync(HttpMethod.Post, "/api/providers",
            new { name = Provider, kind = "openai", baseUrl = "http://127.0.0.1:9/v1", apiKey = "sk-bench-not-a-real-key" });
        await CallAsync(HttpMethod.Post, "/api/models",
            new { name = Model, provider = Provider, upstreamModel = "gpt-4o-mini", inputPricePer1M = 0.15m, outputPricePer1M = 0.6m });
        var ids = new List<string>(keys);
        for (var i = 0; i < keys; i++)
        {
            var issued = await CallAsync(HttpMethod.Post, "/api/keys", new { app = $"bench-app-{i % apps}", name = $"bench-key-{i}", models = new[] { Model } });
            ids.Add(issued.GetProperty("id").GetString()!);
        }
        KeyIds = ids;
        if (budget)
            await CallAsync(HttpMethod.Put, $"/api/budgets/app/{BudgetApp}", new { limit = 1_000_000m, period = "monthly" });
    }

    private async Task<JsonElement> CallAsync(HttpMethod method, string path, object body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json") };
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{method} {path} -> {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>POSTs a serialised batch and counts the records the ledger accepted and those it reported duplicate.</summary>
    public async Task<Outcome> SendAsync(ReadOnlyMemory<byte> body)
    {
        using var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await _http.PostAsync("/api/usage", content);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode)
            return new Outcome(0, 0, $"{(int)response.StatusCode}: {Encoding.UTF8.GetString(bytes.AsSpan(0, Math.Min(bytes.Length, 600)))}");
        return CountOutcomes(bytes);
    }

    /// <summary>Reads {"results":[{"requestId":..,"duplicate":bool,..},..]} without materialising it.</summary>
    private static Outcome CountOutcomes(byte[] json)
    {
        var reader = new Utf8JsonReader(json);
        int accepted = 0, duplicates = 0;
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName || !reader.ValueTextEquals("duplicate"u8))
                continue;
            reader.Read();
            if (reader.TokenType == JsonTokenType.True)
                duplicates++;
            else
                accepted++;
        }
        return new Outcome(accepted, duplicates);
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>
/// Builds batches of usage records: a unique request id each, a random key of the set-up ones, realistic token
/// counts (input 150..6,000 log-uniform, a third with a cached prefix, output 20..1,500, some reasoning), 1% errors.
/// </summary>
internal sealed class RecordFactory(IReadOnlyList<string> keyIds, string runTag, int sender, int seed)
{
    private readonly Random _random = new(seed);
    private readonly ArrayBufferWriter<byte> _buffer = new(1 << 16);
    private long _sequence;

    public ReadOnlyMemory<byte> Next(int size)
    {
        _buffer.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            if (size > 1)
                json.WriteStartArray();
            for (var i = 0; i < size; i++)
                WriteRecord(json);
            if (size > 1)
                json.WriteEndArray();
        }
        return _buffer.WrittenMemory;
    }

    private void WriteRecord(Utf8JsonWriter json)
    {
        var r = _random;
        var status = r.Next(100) switch { 0 => 429, 1 when r.Next(2) == 0 => 500, _ => 200 };
        long input = 0, cached = 0, output = 0, reasoning = 0;
        if (status != 500)
        {
            input = LogUniform(150, 6_000);
            if (r.Next(3) == 0)
                cached = (long)(input * (0.2 + 0.7 * r.NextDouble()));
            if (status == 200)
            {
                output = LogUniform(20, 1_500);
                if (r.Next(10) == 0)
                    reasoning = (long)(output * 0.5 * r.NextDouble());
            }
        }
        json.WriteStartObject();
        json.WriteString("requestId"u8, $"req_{runTag}_{sender}_{_sequence++}");
        json.WriteString("keyId"u8, keyIds[r.Next(keyIds.Count)]);
        json.WriteString("model"u8, Ledger.Model);
        json.WriteNumber("inputTokens"u8, input);
        json.WriteNumber("cachedTokens"u8, cached);
        json.WriteNumber("outputTokens"u8, output);
        json.WriteNumber("reasoningTokens"u8, reasoning);
        json.WriteNumber("latencyMs"u8, 150 + output * 12 + r.Next(400));
        json.WriteNumber("status"u8, status);
        json.WriteEndObject();
    }

    private long LogUniform(double min, double max) =>
        (long)Math.Exp(Math.Log(min) + _random.NextDouble() * (Math.Log(max) - Math.Log(min)));
}
