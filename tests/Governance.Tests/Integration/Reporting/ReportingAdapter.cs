using Alba;
using Governance.Contracts.Usage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using ProxyAdapter;
using ProxyAdapter.Reporting;

namespace Governance.Tests.Integration.Reporting;

/// <summary>How the adapter's calls to the API fare: through, refused at the door (unreachable), or through with the answer lost.</summary>
public sealed class ApiLink
{
    public volatile bool Down;
    public volatile bool LoseAnswers;
    private int _failed;
    private int _answered;

    public int FailedCalls => Volatile.Read(ref _failed);

    /// <summary>Calls the API answered (whatever it answered) and whose answer reached the adapter.</summary>
    public int AnsweredCalls => Volatile.Read(ref _answered);

    public HttpMessageHandler Wrap(HttpMessageHandler api) => new Handler(this, api);

    private sealed class Handler(ApiLink link, HttpMessageHandler api) : DelegatingHandler(api)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (link.Down)
            {
                Interlocked.Increment(ref link._failed);
                throw new HttpRequestException("Connection refused (test: the governance API is down)");
            }
            var response = await base.SendAsync(request, ct);
            if (!link.LoseAnswers)
            {
                Interlocked.Increment(ref link._answered);
                return response;
            }
            response.Dispose();
            Interlocked.Increment(ref link._failed);
            throw new HttpRequestException("Connection reset (test: the answer was lost)");
        }
    }
}

/// <summary>
/// The adapter's reporting half, hosted in the test: a journal in its own directory and the shipper, whose named
/// governance client goes to <paramref name="api"/>'s in-memory server through an <see cref="ApiLink"/>.
/// </summary>
public sealed class ReportingAdapter : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly UsageShipper _shipper;

    private ReportingAdapter(ServiceProvider services)
    {
        _services = services;
        Journal = services.GetRequiredService<UsageJournal>();
        _shipper = services.GetRequiredService<UsageShipper>();
    }

    public UsageJournal Journal { get; }

    public static async Task<ReportingAdapter> StartAsync(IAlbaHost api, string directory, ApiLink link, ILoggerProvider logs, Func<JournalOptions, JournalOptions>? tune = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton((tune ?? (o => o))(JournalOptions.InDirectory(directory) with
        {
            MinBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(300), RequestTimeout = TimeSpan.FromSeconds(10),
        }));
        services.AddSingleton<UsageJournal>();
        services.AddSingleton<UsageShipper>();
        services.AddGovernanceApiClient(new GovernanceApiOptions(new Uri("http://localhost/"), GovernanceFixture.AdminToken))
            .ConfigurePrimaryHttpMessageHandler(() => link.Wrap(api.Server.CreateHandler()));
        var adapter = new ReportingAdapter(services.BuildServiceProvider());
        await adapter._shipper.StartAsync(CancellationToken.None);
        return adapter;
    }

    /// <summary>Waits until the API has acknowledged everything appended (the shipper's work, not a projection's).</summary>
    public Task DrainedAsync(TimeSpan within) =>
        Wait.For(() => Journal.Backlog.PendingRecords == 0, $"the journal to be shipped (it holds {Journal.Backlog.PendingRecords} records)", within);

    public async ValueTask DisposeAsync()
    {
        await _shipper.StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
    }

    public static string NewDirectory() => Path.Combine(Path.GetTempPath(), "governance-journal-tests", Guid.NewGuid().ToString("N"));
}

public static class Ledger
{
    /// <summary>How many ledger entries (request_completed events, or another <paramref name="type"/>) each request id has.</summary>
    public static async Task<Dictionary<string, long>> EntriesAsync(
        string connectionString, string schema, IReadOnlyCollection<string> requestIds, string type = "request_completed")
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand(
            $"select stream_id, count(*) from {schema}.mt_events where type = @type and stream_id = any(@ids) group by stream_id", connection);
        query.Parameters.AddWithValue("type", type);
        query.Parameters.AddWithValue("ids", requestIds.ToArray());
        var counts = new Dictionary<string, long>();
        await using var reader = await query.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            counts[reader.GetString(0)] = reader.GetInt64(1);
        return counts;
    }

    public static UsageReport Report(string keyId, string model, DateTimeOffset at, string? requestId = null) =>
        // Thousands per test: Api.Unique's 24 random bits would collide (a birthday bound of ~4,000).
        new(requestId ?? Api.RequestId(), keyId, model, "openai", 1000, 0, 100, 0, 12, 200, at, null);
}
