using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Alba;
using Governance.Api;
using Governance.AuditVerifier;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Wolverine;

namespace Governance.Tests.Integration.Audit;

/// <summary>
/// A database of its own and an API node on it, for attacks that leave the history broken for good: the shared fixture's
/// history must stay intact for every other test. The node can be restarted (a restart runs the schema migration, as a
/// deployment would) with or without its witness directory.
/// </summary>
public sealed class AuditNode : IAsyncDisposable
{
    public string Schema { get; } = "aud_" + RandomNumberGenerator.GetHexString(8, lowercase: true);
    public ECDsa Key { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    public string WitnessDirectory { get; } = Directory.CreateTempSubdirectory("audit-witness-").FullName;
    public CapturedLogs Logs { get; } = new();
    public IAlbaHost Api { get; private set; } = null!;

    private readonly string _masterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 2, 14, 3, 0, TimeSpan.Zero));

    /// <summary>The node's clock (time-based work: the archive horizon).</summary>
    public FakeTimeProvider Clock => _clock;
    private readonly byte[]? _legacyKey;

    private AuditNode(byte[]? legacyKey) => _legacyKey = legacyKey;

    public CheckpointKeys PublicKey => new([CheckpointKeys.ParsePublicKey(Key.ExportSubjectPublicKeyInfoPem())], _legacyKey);

    public static async Task<AuditNode> StartAsync(byte[]? legacyKey = null, Action<IWebHostBuilder>? configure = null)
    {
        var node = new AuditNode(legacyKey);
        node.Api = await node.StartApiAsync(witness: true, configure);
        return node;
    }

    /// <summary>Stops the node and starts a new one on the same database (its migration runs again).</summary>
    public async Task RestartAsync(bool witness = true, Action<IWebHostBuilder>? configure = null)
    {
        await Api.DisposeAsync();
        Api = await StartApiAsync(witness, configure);
    }

    private Task<IAlbaHost> StartApiAsync(bool witness, Action<IWebHostBuilder>? configure = null) => AlbaHost.For<ApiMarker>(web =>
    {
        web.UseSetting("ConnectionStrings:Governance", TestDatabase.ConnectionString);
        web.UseSetting("Governance:Schema", Schema);
        web.UseSetting("GOVERNANCE_MASTER_KEY", _masterKey);
        web.UseSetting("GOVERNANCE_ADMIN_TOKEN", GovernanceFixture.AdminToken);
        web.UseSetting("Audit:SigningKey", Key.ExportPkcs8PrivateKeyPem());
        if (_legacyKey is not null)
            web.UseSetting("Audit:LegacyHmacKey", Convert.ToBase64String(_legacyKey));
        if (witness)
            web.UseSetting("Audit:WitnessDirectory", WitnessDirectory);
        web.UseSetting("Audit:CheckpointIntervalSeconds", "0");
        // The alarm webhook and witness receivers listen on loopback.
        web.UseSetting("Outbound:AllowPrivateNetworks", "true");
        web.ConfigureServices(services =>
        {
            services.AddSingleton<TimeProvider>(_clock);
            services.AddLogging(logging => logging.ClearProviders().AddProvider(Logs).SetMinimumLevel(LogLevel.Information));
            services.RunWolverineInSoloMode();
            services.DisableAllExternalWolverineTransports();
        });
        configure?.Invoke(web);
    });

    public async Task<HttpResponseMessage> Send(HttpMethod method, string url, object? body = null)
    {
        using var client = Api.Server.CreateClient();
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GovernanceFixture.AdminToken);
        if (body is not null)
            request.Content = System.Net.Http.Json.JsonContent.Create(body);
        return await client.SendAsync(request);
    }

    public async Task<string> IssueKey()
    {
        using var response = await Send(HttpMethod.Post, "/api/keys", new { app = Integration.Api.Unique("app"), name = "audited", models = new[] { "*" } });
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(response.IsSuccessStatusCode, body.ToString());
        return body.GetProperty("id").GetString()!;
    }

    /// <summary>POST /api/audit/checkpoints: the status, and the problem's code when refused.</summary>
    public async Task<(int Status, string? Code, JsonElement Body)> Checkpoint()
    {
        using var response = await Send(HttpMethod.Post, "/api/audit/checkpoints");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        return ((int)response.StatusCode, body.TryGetProperty("code", out var code) ? code.GetString() : null, body);
    }

    public async Task<string> Export()
    {
        using var response = await Send(HttpMethod.Get, "/api/audit/events");
        return await response.Content.ReadAsStringAsync();
    }

    public VerificationReport Verify(string export, Checkpoint? witnessed = null) =>
        ExportVerifier.Verify(new StringReader(export), new VerifierOptions(PublicKey, Witnessed: witnessed));

    /// <summary>What someone with write access to PostgreSQL runs.</summary>
    public async Task Sql(string sql)
    {
        await using var connection = new NpgsqlConnection(TestDatabase.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql.Replace("{schema}", Schema, StringComparison.Ordinal), connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<T> Scalar<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(TestDatabase.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql.Replace("{schema}", Schema, StringComparison.Ordinal), connection);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull or null ? default! : (T)value;
    }

    public async ValueTask DisposeAsync()
    {
        await Api.DisposeAsync();
        Key.Dispose();
        Directory.Delete(WitnessDirectory, recursive: true);
        await using var connection = new NpgsqlConnection(TestDatabase.ConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"drop schema if exists {Schema} cascade; drop schema if exists {Schema}_wolverine cascade;", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
