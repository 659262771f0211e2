using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Alba;
using Governance.Api;
using Governance.Domain.Operators;
using Governance.Tests.Integration.Adapter;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using ProxyAdapter;
using ProxyAdapter.Reporting;
using Wolverine;

namespace Governance.Tests.Integration;

/// <summary>
/// One real PostgreSQL schema, the governance API, the proxy adapter and a fake OpenAI upstream,
/// shared by every integration test. Tests isolate themselves by unique names instead of wiping data,
/// as concurrent users of a real deployment would.
/// </summary>
public sealed class GovernanceFixture : IAsyncLifetime
{
    public const string AdminToken = "test-admin-token-0123456789abcdef";

    public string Schema { get; } = "it_" + RandomNumberGenerator.GetHexString(8, lowercase: true);
    public string ConnectionString { get; } = TestDatabase.ConnectionString;
    public string MasterKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    /// <summary>The API nodes' checkpoint signing key (ECDSA P-256) and its PEM form, the <c>Audit:SigningKey</c> setting.</summary>
    public ECDsa AuditSigningKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    public string AuditKey => AuditSigningKey.ExportPkcs8PrivateKeyPem();

    /// <summary>What an auditor verifies with: the public key only.</summary>
    public Governance.AuditVerifier.CheckpointKeys AuditPublicKey =>
        new([Governance.AuditVerifier.CheckpointKeys.ParsePublicKey(AuditSigningKey.ExportSubjectPublicKeyInfoPem())]);
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 2, 14, 3, 0, TimeSpan.Zero));

    /// <summary>A secret-scanning service's signing key (its public half is <c>Leaks:PublicKeys:test-reporter</c>) and the shared secret.</summary>
    public ECDsa LeakReporterKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    public const string LeakReporterKeyId = "test-reporter";
    public const string LeakReportSecret = "leak-report-shared-secret-0123456789abcdef";
    public CapturedLogs Logs { get; } = new();
    public FakeUpstream Upstream { get; } = new();

    public IAlbaHost Api { get; private set; } = null!;
    public IAlbaHost Proxy { get; private set; } = null!;

    /// <summary>The operator id of each adapter node's token, by adapter id: the actor of what it asks the API to write.</summary>
    public ConcurrentDictionary<string, string> AdapterOperators { get; } = new();

    public async Task InitializeAsync()
    {
        await Upstream.StartAsync();
        Api = await AlbaHost.For<ApiMarker>(web => Configure(web));
        // The proxy starts after the API has created the schema, as run.sh does.
        Proxy = await StartProxyAsync("test-adapter");
    }

    /// <summary>
    /// An adapter node: its own adapter id and token (issued by the admin, as run.sh does), talking to the API node over
    /// the test server's in-memory transport. <paramref name="outage"/> lets a test cut it off the API; with
    /// <paramref name="catchUp"/>, every proxied request first waits until the adapter has applied the feed so far;
    /// <paramref name="configure"/> adds a test's own settings; <paramref name="api"/> is the API node it talks to
    /// (default: the fixture's).
    /// </summary>
    public async Task<IAlbaHost> StartProxyAsync(
        string adapterId, GovernanceOutage? outage = null, bool catchUp = true, Action<IWebHostBuilder>? configure = null, IAlbaHost? api = null)
    {
        var issued = await Api.Post("/api/operators", new { name = adapterId, roles = new[] { OperatorRoles.Adapter }, adapterId }, 201).Json();
        var token = issued.GetProperty("token").GetString()!;
        AdapterOperators[adapterId] = issued.GetProperty("id").GetString()!;
        return await AlbaHost.For<ProxyMarker>(web =>
        {
            Configure(web);
            AdapterProxy.Configure(web, api ?? Api, adapterId, token, catchUp ? new AdapterCatchUp(this) : null, outage is null ? null : outage.Wrap);
            configure?.Invoke(web);
        });
    }

    /// <summary>The settings every node of the test deployment gets (a test may start another API node with them).</summary>
    public void Configure(IWebHostBuilder web)
    {
        web.UseSetting("ConnectionStrings:Governance", ConnectionString);
        web.UseSetting("Governance:Schema", Schema);
        web.UseSetting("GOVERNANCE_MASTER_KEY", MasterKey);
        web.UseSetting("GOVERNANCE_ADMIN_TOKEN", AdminToken);
        web.UseSetting("Proxy:AdapterId", "test-adapter");
        // Each adapter host its own usage journal (one process per journal directory is enforced by a lock).
        web.UseSetting("Proxy:JournalPath", Path.Combine(Path.GetTempPath(), "governance-journal-tests", Guid.NewGuid().ToString("N")));
        web.UseSetting("Audit:SigningKey", AuditKey);
        web.UseSetting($"Leaks:PublicKeys:{LeakReporterKeyId}", LeakReporterKey.ExportSubjectPublicKeyInfoPem());
        web.UseSetting("Leaks:Secret", LeakReportSecret);
        // Checkpoints only when a test asks for one (the periodic round is tested directly).
        web.UseSetting("Audit:CheckpointIntervalSeconds", "0");
        // The fake providers and webhook receivers listen on loopback, as with run.sh.
        web.UseSetting("Outbound:AllowPrivateNetworks", "true");
        // The LiteLLM config's variables, and two of the gateway's own settings, which the import refuses even when listed.
        web.UseSetting("Migration:AllowedEnvNames",
            "OPENAI_API_KEY,OPENAI_API_KEY_BACKUP,ANTHROPIC_API_KEY,VLLM_API_BASE,VLLM_API_KEY,AZURE_API_KEY,GOVERNANCE_MASTER_KEY,Audit__SigningKey");
        web.ConfigureServices(services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            services.AddLogging(logging => logging.ClearProviders().AddProvider(Logs).SetMinimumLevel(LogLevel.Trace));
            services.RunWolverineInSoloMode();
            services.DisableAllExternalWolverineTransports();
        });
    }

    public async Task DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await Api.DisposeAsync();
        await Upstream.DisposeAsync();
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"drop schema if exists {Schema} cascade; drop schema if exists {Schema}_wolverine cascade;", connection);
        await drop.ExecuteNonQueryAsync();
    }

    public IDocumentStore Store => Api.Services.GetRequiredService<IDocumentStore>();

    /// <summary>
    /// The background messages (Wolverine's durable local queues: anomaly checks, alerts, webhook deliveries) whose body
    /// mentions <paramref name="id"/> and that are not handled yet, by status ("Incoming" or "Scheduled" for a retry).
    /// Each is written in the transaction of the change that publishes it, so it is here as soon as that change answered.
    /// </summary>
    public async Task<Dictionary<string, int>> PendingMessagesAbout(string id)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand(
            $"select status, count(*)::int from {Schema}_wolverine.wolverine_incoming_envelopes " +
            "where status <> 'Handled' and position(convert_to(@id, 'UTF8') in body) > 0 group by status", connection);
        query.Parameters.AddWithValue("id", id);
        var pending = new Dictionary<string, int>();
        await using var reader = await query.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            pending[reader.GetString(0)] = reader.GetInt32(1);
        return pending;
    }

    /// <summary>Waits until every background message about <paramref name="id"/> has been handled: then whatever they could do is done.</summary>
    public Task MessagesHandledAbout(string id, TimeSpan? timeout = null) =>
        Wait.For(() => PendingMessagesAbout(id), pending => pending.Count == 0, $"the background messages about {id} to be handled", timeout);

    /// <summary>A client that calls the proxy as an application would (in-memory transport to the proxy host).</summary>
    public HttpClient ProxyClient() => Proxy.Server.CreateClient();
}

/// <summary>
/// The one way a test waits for something another thread, process or queue does: poll a condition until it holds, and
/// fail the test with <c>what</c> when it does not within the timeout. Never a fixed sleep, and a negative assertion
/// ("nothing happened") only after waiting for something that proves the work that could have done it has run.
/// </summary>
public static class Wait
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    /// <summary>Reads until <paramref name="done"/> holds for the value read, and returns that value.</summary>
    public static async Task<T> For<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            var value = await read();
            if (done(value))
                return value;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"Timed out after {(timeout ?? DefaultTimeout).TotalSeconds:N0} s waiting for {what}; last seen: {value}");
            await Task.Delay(Poll);
        }
    }

    /// <summary>Polls until <paramref name="probe"/> finds something, and returns it.</summary>
    public static async Task<T> For<T>(Func<Task<T?>> probe, string what, TimeSpan? timeout = null) where T : class =>
        (await For(probe, found => found is not null, what, timeout))!;

    public static Task For(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        For(condition, done => done, what, timeout);

    public static Task For(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        For(() => Task.FromResult(condition()), done => done, what, timeout);
}

[CollectionDefinition(Name)]
public sealed class GovernanceCollection : ICollectionFixture<GovernanceFixture>
{
    public const string Name = "governance";
}

public static class TestDatabase
{
    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("GOVERNANCE_TEST_DB")
        ?? throw new InvalidOperationException(
            "GOVERNANCE_TEST_DB is not set. Run the suite with ./test.sh, which starts a private PostgreSQL and sets it.");
}

public static class TestAuditKeys
{
    /// <summary>A fresh checkpoint signing key for a test host's <c>Audit:SigningKey</c>: an ECDSA P-256 private key in PEM.</summary>
    public static string NewSigningKeyPem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKeyPem();
    }
}

/// <summary>Every log line both services write, to prove no secret ever reaches a log.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(";", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            sink._lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {structured} {exception}");
        }
    }
}
