using System.Collections.Concurrent;
using Alba;
using Governance.Api;
using Xunit.Abstractions;

namespace Governance.Tests.Integration.Reporting;

/// <summary>
/// Issue #5: PostgreSQL stopped (fast shutdown, then kill -9) and restarted while an adapter keeps appending usage →
/// every record whose append completed is in the ledger exactly once, settled once in its budget window and drawn once
/// from the lease it names. Runs against a cluster of its own, so stopping
/// and killing it disturbs no other test.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_postgresql_restarts_under_load(GovernanceFixture fx, ITestOutputHelper output)
{
    // Ledger.Report: 1,000 input tokens at $1 and 100 output tokens at $2 per 1M.
    private const decimal CostPerRecord = 0.0012m;

    [Fact]
    public async Task every_acknowledged_append_is_in_the_ledger_exactly_once_and_settled_once_from_its_lease()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using var cluster = await PrivateCluster.CreateAsync("reporting");
        var created = clock.Elapsed;
        const string schema = "reporting";
        await using var api = await AlbaHost.For<ApiMarker>(web =>
        {
            fx.Configure(web);
            web.UseSetting("ConnectionStrings:Governance", cluster.ConnectionString);
            web.UseSetting("Governance:Schema", schema);
        });
        var provider = Api.Unique("prov");
        await api.Post("/api/providers", new { name = provider, kind = "openai", baseUrl = fx.Upstream.BaseUrl, apiKey = "sk-provider-" + provider }, 201);
        var model = Api.Unique("model");
        await api.Post("/api/models", new { name = model, provider, upstreamModel = "gpt-4o-mini", inputPricePer1M = 1m, outputPricePer1M = 2m }, 201);
        var key = (await api.Post("/api/keys", new { app = Api.Unique("app"), name = "load", models = new[] { model } }, 201).Json()).GetProperty("id").GetString()!;
        // The records draw on a budget lease, as a proxy's do: the crash must neither settle one twice nor lose a draw.
        await api.Scenario(s =>
        {
            s.Put.Json(new { limit = 1_000m, period = "monthly" }).ToUrl($"/api/budgets/key/{key}");
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
        });
        var edge = (await api.Post("/api/operators", new { name = "reporting-edge", roles = new[] { "adapter" }, adapterId = "reporting-edge" }, 201).Json())
            .GetProperty("token").GetString()!;
        var lease = (await api.Post("/api/leases", new { adapterId = "reporting-edge", keyId = key, model, need = 100m, want = 400m }, 200, edge).Json())
            .GetProperty("slices")[0];
        var leaseId = lease.GetProperty("leaseId").GetString()!;
        var leasedAtStart = lease.GetProperty("remaining").GetDecimal();

        var started = clock.Elapsed;
        var directory = ReportingAdapter.NewDirectory();
        await using var adapter = await ReportingAdapter.StartAsync(api, directory, new ApiLink(), fx.Logs, o => o with { BatchSize = 200 });
        var appended = new ConcurrentQueue<string>();
        var outcomes = new ConcurrentDictionary<string, List<bool>>();
        adapter.Journal.Acknowledged += acked =>
        {
            foreach (var (report, outcome) in acked)
                outcomes.GetOrAdd(report.RequestId, _ => []).Add(outcome.Duplicate);
        };
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var report = Ledger.Report(key, model, fx.Clock.GetUtcNow()) with { LeaseIds = [leaseId], WorstCaseCost = CostPerRecord };
                await adapter.Journal.AppendAsync(report, CancellationToken.None);
                appended.Enqueue(report.RequestId);
                await Task.Delay(2);
            }
        })).ToList();

        // Each phase lasts until the load has shown what it must: shipped, held back, shipped again.
        Task Shipped(long more, string what)
        {
            var target = outcomes.Count + more;
            return Wait.For(() => outcomes.Count >= target, what, TimeSpan.FromSeconds(60));
        }
        Task HeldBack(string what) => Wait.For(() => adapter.Journal.Backlog.PendingRecords >= 100, what, TimeSpan.FromSeconds(60));
        await Shipped(200, "usage to be shipped before the outage");
        await cluster.StopFastAsync();
        await HeldBack("appends to pile up while PostgreSQL is stopped");
        var pendingWhileStopped = adapter.Journal.Backlog.PendingRecords;
        await cluster.StartAsync();
        await Shipped(pendingWhileStopped + 200, "the backlog and new usage to be shipped after the restart");
        await cluster.KillAsync();
        await HeldBack("appends to pile up while PostgreSQL is killed");
        var pendingWhileKilled = adapter.Journal.Backlog.PendingRecords;
        await cluster.StartAsync();
        await Shipped(pendingWhileKilled + 200, "the backlog and new usage to be shipped after crash recovery");
        await stop.CancelAsync();
        await Task.WhenAll(load);
        var loaded = clock.Elapsed;
        await adapter.DrainedAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"cluster {created.TotalSeconds:N1} s, API up {started.TotalSeconds:N1} s, load done {loaded.TotalSeconds:N1} s, drained {clock.Elapsed.TotalSeconds:N1} s");

        var ids = appended.ToList();
        var entries = await Ledger.EntriesAsync(cluster.ConnectionString, schema, ids);
        output.WriteLine($"{ids.Count} records appended; backlog while stopped {pendingWhileStopped}, while killed {pendingWhileKilled}; " +
            $"dead-lettered {adapter.Journal.Backlog.DeadLettered}");
        foreach (var missing in ids.Where(id => !entries.ContainsKey(id)))
            output.WriteLine($"missing {missing}: acknowledged as {string.Join(",", outcomes.GetValueOrDefault(missing) ?? [])}");
        foreach (var line in fx.Logs.Lines.Where(l => l.Contains("damaged") || l.Contains("missing from")))
            output.WriteLine(line);
        Assert.True(pendingWhileStopped > 0 && pendingWhileKilled > 0, "The outages did not hold anything back: the test proved nothing.");
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(ids.Count, entries.Count);
        Assert.All(entries.Values, count => Assert.Equal(1, count));
        Assert.Equal(ids.Count, outcomes.Count);

        // The budget window settled each record once, every cost drawn from the lease: nothing held, nothing lost.
        var budget = await api.Get($"/api/budgets/key/{key}").Json();
        Assert.Equal(ids.Count * CostPerRecord, budget.GetProperty("settled").GetDecimal());
        Assert.Equal(leasedAtStart - ids.Count * CostPerRecord, budget.GetProperty("leased").GetDecimal());
        Assert.Equal(0m, budget.GetProperty("held").GetDecimal());
        Directory.Delete(directory, recursive: true);
    }
}
