using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Governance.Tests.Integration.RealPath;

/// <summary>
/// The product as an operator runs it, every part its own process talking HTTP: the governance API on its own schema
/// of the test database, proxy adapters as shipped (journal, shipper, lease wallet, feed follower), and a stand-in
/// upstream. Tests drive it only through HTTP and read the history with SQL, so they survive a reshuffle of src/.
/// </summary>
public sealed class RealDeployment : IAsyncDisposable
{
    private readonly Dictionary<string, (string Token, string Journal, Dictionary<string, string> Settings)> _adapters = [];
    private readonly List<ServiceProcess> _processes = [];

    private RealDeployment(StandInUpstream upstream, ServiceProcess api, string schema)
    {
        Upstream = upstream;
        Api = api;
        Schema = schema;
        Admin = new HttpClient { BaseAddress = new Uri(api.Url), Timeout = TimeSpan.FromSeconds(30) };
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
    }

    public const string AdminToken = "real-path-admin-token-0123456789abcdef";
    private static readonly string MasterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public string Schema { get; }
    public StandInUpstream Upstream { get; }
    public ServiceProcess Api { get; }
    public HttpClient Admin { get; }

    /// <summary>The deployment; its stand-in upstream answers each call after a random service time within <paramref name="serviceTimeMs"/>.</summary>
    public static async Task<RealDeployment> StartAsync((int Min, int Max) serviceTimeMs, IReadOnlyDictionary<string, string>? apiSettings = null)
    {
        var upstream = await StandInUpstream.StartAsync(serviceTimeMs);
        var schema = "rp_" + RandomNumberGenerator.GetHexString(8, lowercase: true);
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings__Governance"] = TestDatabase.ConnectionString,
            ["Governance__Schema"] = schema,
            ["GOVERNANCE_MASTER_KEY"] = MasterKey,
            ["GOVERNANCE_ADMIN_TOKEN"] = AdminToken,
            ["Audit__SigningKey"] = TestAuditKeys.NewSigningKeyPem(),
            ["Audit__CheckpointIntervalSeconds"] = "0",
            ["Outbound__AllowPrivateNetworks"] = "true",
        };
        foreach (var (name, value) in apiSettings ?? new Dictionary<string, string>())
            settings[name] = value;
        var api = await ServiceProcess.StartAsync("Governance.Api", settings);
        var deployment = new RealDeployment(upstream, api, schema);
        deployment._processes.Add(api);
        return deployment;
    }

    /// <summary>
    /// Starts the adapter <paramref name="adapterId"/>: the first time with a token issued for it and a journal directory of
    /// its own; again (after a kill) with the same id, token, journal and settings, as a restarted node would be.
    /// </summary>
    public async Task<ServiceProcess> StartAdapterAsync(string adapterId, IReadOnlyDictionary<string, string>? settings = null)
    {
        if (!_adapters.TryGetValue(adapterId, out var adapter))
        {
            var issued = await Send(HttpMethod.Post, "/api/operators", new { name = adapterId, roles = new[] { "adapter" }, adapterId });
            adapter = (issued.GetProperty("token").GetString()!, Path.Combine(Path.GetTempPath(), "governance-journal-tests", Guid.NewGuid().ToString("N")),
                new Dictionary<string, string>(settings ?? new Dictionary<string, string>()));
            _adapters[adapterId] = adapter;
        }
        var environment = new Dictionary<string, string>
        {
            ["GOVERNANCE_MASTER_KEY"] = MasterKey,
            ["Proxy__AdapterId"] = adapterId,
            ["Proxy__GovernanceUrl"] = Api.Url + "/",
            ["Proxy__AdapterToken"] = adapter.Token,
            ["Proxy__JournalPath"] = adapter.Journal,
            ["Proxy__ManagementUrl"] = $"http://127.0.0.1:{ServiceProcess.FreePort()}",
            ["Outbound__AllowPrivateNetworks"] = "true",
        };
        foreach (var (name, value) in adapter.Settings)
            environment[name] = value;
        var process = await ServiceProcess.StartAsync("ProxyAdapter", environment);
        _processes.Add(process);
        return process;
    }

    public async Task<JsonElement> Send(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await Admin.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path} answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>A provider on the stand-in upstream and a model on it priced per output token only (the worst case is then exactly max_tokens × price).</summary>
    public async Task<string> ModelAsync(decimal outputPricePer1M)
    {
        await Send(HttpMethod.Post, "/api/providers", new { name = "stand-in", kind = "openai", baseUrl = Upstream.BaseUrl, apiKey = "sk-stand-in" });
        await Send(HttpMethod.Post, "/api/models", new
        {
            name = "real-path-model", provider = "stand-in", upstreamModel = "stand-in-model", inputPricePer1M = 0m, outputPricePer1M = outputPricePer1M,
        });
        return "real-path-model";
    }

    public Task<JsonElement> Budget(string keyId) => Send(HttpMethod.Get, $"/api/budgets/key/{keyId}");

    /// <summary>
    /// Every answered call is in the ledger (request_completed) exactly once and every refused one is recorded as a
    /// denial (request_denied) exactly once, once the adapters' journals have shipped them.
    /// </summary>
    public async Task AssertOnRecordOnceAsync(IReadOnlyCollection<ProxyCall> calls)
    {
        foreach (var (type, ids) in new[]
        {
            ("request_completed", calls.Where(c => c.Status == HttpStatusCode.OK).Select(c => c.RequestId).ToList()),
            ("request_denied", calls.Where(c => c.Status != HttpStatusCode.OK).Select(c => c.RequestId).ToList()),
        })
        {
            var entries = await Wait.For(() => Reporting.Ledger.EntriesAsync(TestDatabase.ConnectionString, Schema, ids, type), e => e.Count == ids.Count,
                $"every call to have its {type} event");
            Assert.All(entries.Values, count => Assert.Equal(1, count));
        }
    }

    /// <summary>What the ledger charged the key: the sum of its request_completed events' costs, and how many there are.</summary>
    public async Task<(decimal Cost, long Entries)> LedgerOf(string keyId)
    {
        await using var connection = new NpgsqlConnection(TestDatabase.ConnectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand(
            $"select coalesce(sum(coalesce(data->>'cost', data->>'Cost')::numeric), 0), count(*) from {Schema}.mt_events " +
            "where type = 'request_completed' and coalesce(data->>'keyId', data->>'KeyId') = @key", connection);
        query.Parameters.AddWithValue("key", keyId);
        await using var reader = await query.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetDecimal(0), reader.GetInt64(1));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
            await process.DisposeAsync();
        await Upstream.DisposeAsync();
        Admin.Dispose();
        foreach (var (_, journal, _) in _adapters.Values)
            if (Directory.Exists(journal))
                Directory.Delete(journal, recursive: true);
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(TestDatabase.ConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"drop schema if exists {Schema} cascade; drop schema if exists {Schema}_wolverine cascade;", connection);
        await drop.ExecuteNonQueryAsync();
    }
}

/// <summary>
/// An OpenAI-compatible upstream that answers after a random service time with the usage the caller asked for
/// in its prompt ("tokens:N" → N completion tokens), whatever <c>max_tokens</c> said: below the worst case the proxy
/// admitted the call for, or above it (a provider that does not keep to the limit).
/// </summary>
public sealed class StandInUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StandInUpstream(WebApplication app, string baseUrl) => (_app, BaseUrl) = (app, baseUrl);

    public string BaseUrl { get; }

    public static string Prompt(long completionTokens) => $"tokens:{completionTokens}";

    public static async Task<StandInUpstream> StartAsync((int Min, int Max) serviceTimeMs)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/v1/chat/completions", async (HttpContext http) =>
        {
            var body = (await JsonNode.ParseAsync(http.Request.Body))!.AsObject();
            var prompt = body["messages"]!.AsArray().Last()!["content"]!.GetValue<string>();
            var completion = long.Parse(prompt["tokens:".Length..], System.Globalization.CultureInfo.InvariantCulture);
            await Task.Delay(Random.Shared.Next(serviceTimeMs.Min, serviceTimeMs.Max)); // the provider's service time, not synchronisation
            return Results.Json(new
            {
                id = "chatcmpl-stand-in", @object = "chat.completion", created = 1_764_000_000, model = body["model"]!.GetValue<string>(),
                choices = new[] { new { index = 0, message = new { role = "assistant", content = "ok" }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 3, completion_tokens = completion, total_tokens = 3 + completion },
            });
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new StandInUpstream(app, address + "/v1");
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
