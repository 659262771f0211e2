using ProxyAdapter.Governance;
using Microsoft.Extensions.DependencyInjection;
using Alba;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Governance.Domain.Keys;
using Marten;
using Governance.Tests.Integration.Proxy;
using Xunit.Abstractions;

namespace Governance.Tests.Integration.Adapter;

/// <summary>
/// Proxy adapters deciding from their in-memory copy and budget leases (docs/leases-and-feed.md, docs/gateway.md): money
/// stays within the limit across adapters, revocations reach every adapter, and an adapter cut off from the governance
/// API spends only what it already leased, then refuses clearly until it is back.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_adapters_decide_from_memory(GovernanceFixture fx, ITestOutputHelper output)
{
    /// <summary>
    /// $5,000 per 1M output tokens, no input price: with max_tokens equal to what the fake upstream answers (7), a
    /// request's worst case and its actual cost are both exactly $0.035.
    /// </summary>
    private const decimal WorstCase = 0.035m;

    private const int MaxTokens = FakeUpstream.CompletionTokens;

    private Task<string> Model() => fx.ProviderAndModel(inputPrice: 0m, outputPrice: 5_000m);

    private async Task<JsonElement> Budget(string level, string owner) => await fx.Api.Get($"/api/budgets/{level}/{owner}").Json();

    [Fact]
    public async Task two_adapters_under_200_concurrent_requests_admit_exactly_what_the_budget_covers()
    {
        await using var a = await AdapterNode.StartAsync(fx);
        await using var b = await AdapterNode.StartAsync(fx);
        await AdmitExactlyWhatTheBudgetCovers(a, b, requests: 200, budget: 0.70m);
    }

    /// <summary>N adapters and M API nodes on one PostgreSQL (docs/deployment.md): each adapter follows the feed and leases through its own node.</summary>
    [Fact]
    public async Task two_adapters_on_two_api_nodes_admit_exactly_what_the_budget_covers()
    {
        await using var second = await AlbaHost.For<Governance.Api.ApiMarker>(fx.Configure);
        await using var a = await AdapterNode.StartAsync(fx);
        await using var b = await AdapterNode.StartAsync(fx, api: second);
        await AdmitExactlyWhatTheBudgetCovers(a, b, requests: 100, budget: 0.35m);
    }

    private async Task AdmitExactlyWhatTheBudgetCovers(AdapterNode a, AdapterNode b, int requests, decimal budget)
    {
        var model = await Model();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await fx.Api.Put($"/api/budgets/key/{key.Id}", new { limit = budget, period = "monthly" }, 200);
        await Task.WhenAll(a.CaughtUpAsync(fx), b.CaughtUpAsync(fx));

        var answers = await Task.WhenAll(Enumerable.Range(0, requests).Select(i => (i % 2 == 0 ? a : b).ChatAsync(key.Key, model, MaxTokens)));
        // On failure, what the adapters said: lease trouble for this key, and any usage they could not record.
        foreach (var line in fx.Logs.Lines.Where(l => (l.StartsWith("Warning ProxyAdapter.Governance", StringComparison.Ordinal) && l.Contains(key.Id))
            || l.StartsWith("Error ProxyAdapter", StringComparison.Ordinal)))
            output.WriteLine(line);
        foreach (var group in answers.GroupBy(r => r).OrderBy(g => g.Key.Status))
            output.WriteLine($"{group.Key}: {group.Count()}");

        // The budget covers exactly budget / $0.035 requests: no more (no overspend), and no fewer (no request was
        // turned away while the other adapter sat on headroom it did not use).
        Assert.Equal((int)(budget / WorstCase), answers.Count(r => r.Status == HttpStatusCode.OK));
        Assert.All(answers.Where(r => r.Status != HttpStatusCode.OK), r => Assert.Equal((HttpStatusCode.TooManyRequests, "budget_exceeded"), r));
        var standing = await Budget("key", key.Id);
        Assert.True(standing.GetProperty("settled").GetDecimal() == budget, standing.ToString());
    }

    [Fact]
    public async Task a_revoked_key_is_refused_by_every_adapter_and_the_delay_is_measured_under_load()
    {
        await using var a = await AdapterNode.StartAsync(fx);
        await using var b = await AdapterNode.StartAsync(fx);
        var model = await Model();
        var app = Api.Unique("app");
        var busy = await fx.IssueKey(app, model);
        using var stop = new CancellationTokenSource();
        // Load: other traffic through both adapters all along.
        var load = Task.WhenAll(Enumerable.Range(0, 4).Select(async i =>
        {
            while (!stop.IsCancellationRequested)
                await (i % 2 == 0 ? a : b).ChatAsync(busy.Key, model, MaxTokens);
        }));

        var delays = new ConcurrentBag<double>();
        var copies = new ConcurrentBag<double>();
        for (var round = 0; round < 25; round++)
        {
            var key = await fx.IssueKey(app, model);
            await Task.WhenAll(a.CaughtUpAsync(fx), b.CaughtUpAsync(fx));
            Assert.Equal(HttpStatusCode.OK, (await a.ChatAsync(key.Key, model, MaxTokens)).Status);
            Assert.Equal(HttpStatusCode.OK, (await b.ChatAsync(key.Key, model, MaxTokens)).Status);

            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var applied = new[] { a, b }.Select(async node =>
            {
                await node.State.WaitUntilAsync(s => s.Key(key.Id)?.Status == KeyStatus.Revoked, deadline.Token);
                return Stopwatch.GetTimestamp();
            }).ToList();
            await fx.Api.Post($"/api/keys/{key.Id}/revoke", new { reason = "leaked" }, 200);
            var committed = Stopwatch.GetTimestamp();
            foreach (var at in await Task.WhenAll(applied))
                copies.Add(Math.Max(0, Stopwatch.GetElapsedTime(committed, at).TotalMilliseconds));
            await Task.WhenAll(new[] { a, b }.Select(async node =>
            {
                // Calls the adapter as a client would until it refuses; every refusal must be the revocation.
                while (true)
                {
                    var (status, code) = await node.ChatAsync(key.Key, model, MaxTokens);
                    if (status == HttpStatusCode.OK)
                    {
                        Assert.True(Stopwatch.GetElapsedTime(committed) < TimeSpan.FromSeconds(10), "A revoked key was still admitted after 10 s.");
                        continue;
                    }
                    delays.Add(Stopwatch.GetElapsedTime(committed).TotalMilliseconds);
                    Assert.Equal((HttpStatusCode.Unauthorized, "revoked"), (status, code));
                    return;
                }
            }));
        }
        await stop.CancelAsync();
        await load;

        Report("revocation committed (its HTTP answer received) → adapter's copy shows it", copies);
        Report("revocation committed → a call through the adapter is refused", delays);
    }

    private void Report(string what, IEnumerable<double> samples)
    {
        var sorted = samples.Order().ToList();
        output.WriteLine($"{what}: {sorted.Count} samples over 2 adapters under load: " +
            $"p50 {Percentile(sorted, 0.50):0.0} ms, p99 {Percentile(sorted, 0.99):0.0} ms, max {sorted[^1]:0.0} ms");
    }

    [Fact]
    public async Task cut_off_from_the_api_an_adapter_spends_only_its_leases_then_refuses_until_it_is_back()
    {
        var outage = new GovernanceOutage();
        await using var node = await AdapterNode.StartAsync(fx, outage);
        var model = await Model();
        var app = Api.Unique("app");
        var budgeted = await fx.IssueKey(app, model);
        var free = await fx.IssueKey(app, model);
        await fx.Api.Put($"/api/budgets/key/{budgeted.Id}", new { limit = 10m, period = "monthly" }, 200);
        await node.CaughtUpAsync(fx);
        Assert.Equal(HttpStatusCode.OK, (await node.ChatAsync(budgeted.Key, model, MaxTokens)).Status);
        var leased = (await Budget("key", budgeted.Id)).GetProperty("leased").GetDecimal();
        Assert.True(leased > 0m);

        outage.Start();
        var admitted = 0;
        (HttpStatusCode Status, string? Code) answer;
        while ((answer = await node.ChatAsync(budgeted.Key, model, MaxTokens)).Status == HttpStatusCode.OK)
            Assert.True(++admitted * WorstCase <= leased, $"Admitted {admitted} requests on a ${leased} lease while the API was down.");
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "governance_unavailable"), answer);
        // A key with no budget needs no lease: admitted from memory while the copy is within its staleness bound…
        Assert.Equal(HttpStatusCode.OK, (await node.ChatAsync(free.Key, model, MaxTokens)).Status);
        // …and refused once nothing has been heard for longer than that.
        fx.Clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "governance_unavailable"), await node.ChatAsync(free.Key, model, MaxTokens));

        outage.End();
        Assert.Equal(HttpStatusCode.OK, (await node.ChatAsync(free.Key, model, MaxTokens)).Status);
        Assert.Equal(HttpStatusCode.OK, (await node.ChatAsync(budgeted.Key, model, MaxTokens)).Status);
    }

    [Fact]
    public async Task a_stale_copy_is_refreshed_before_it_decides_so_a_quiet_feed_alone_refuses_nothing()
    {
        await using var node = await AdapterNode.StartAsync(fx);
        var model = await Model();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await node.CaughtUpAsync(fx);
        fx.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, (await node.ChatAsync(key.Key, model, MaxTokens)).Status);
    }

    [Fact]
    public async Task an_adapter_tops_its_lease_up_ahead_of_need_so_requests_do_not_wait_for_it()
    {
        var (adapter, model, key) = await AdapterWithKeyBudget(10m);
        await using var node = adapter;
        var wallet = node.Host.Services.GetRequiredService<LeaseWallet>();

        // The first request leases 10 requests' worth (Proxy__LeaseWantMultiplier); the sixth leaves fewer than 5.
        for (var i = 0; i < 6; i++)
            Assert.Equal(HttpStatusCode.OK, (await node.ChatAsync(key.Key, model, MaxTokens)).Status);

        // Without a request asking, the lease is topped up in the background: it holds more than the 4 requests' worth
        // left of its first grant (the fake clock stands still, so no renewal is due).
        await Wait.For(() => Assert.Single(wallet.Holdings().Values).Remaining > 4 * WorstCase, "the background top-up");
        var budget = await Budget("key", key.Id);
        Assert.Equal(6 * WorstCase, budget.GetProperty("settled").GetDecimal());
        Assert.True(budget.GetProperty("leased").GetDecimal() > 4 * WorstCase, budget.ToString());
    }

    [Fact]
    public async Task a_busy_keys_top_ups_grow_with_its_requests_in_flight_so_the_next_ones_do_not_wait_for_a_lease()
    {
        var (adapter, model, key) = await AdapterWithKeyBudget(100m);
        await using var node = adapter;
        var wallet = node.Host.Services.GetRequiredService<LeaseWallet>();
        IReadOnlyList<(Governance.Domain.Budgets.BudgetLevel, string)> levels = [(Governance.Domain.Budgets.BudgetLevel.Key, key.Id)];

        // 40 requests admitted whose usage is not acknowledged yet (slow upstream calls, or a shipping batch on its way).
        for (var i = 0; i < 40; i++)
            Assert.True((await wallet.AdmitAsync($"busy-{i}", key.Id, model, levels, WorstCase, CancellationToken.None)).Allowed);

        // A fixed-size top-up (10 requests' worth) would leave at most 15 requests' worth uncommitted: the next burst
        // of this key's traffic would wait for lease calls. Sized to what is in flight, the lease keeps ahead of it.
        await Wait.For(() => Assert.Single(wallet.Holdings().Values) is var (remaining, inFlight) && remaining - inFlight >= 20 * WorstCase,
            "a top-up sized to what is in flight");
        Assert.Equal(40 * WorstCase, Assert.Single(wallet.Holdings().Values).InFlight);
    }

    [Fact]
    public async Task an_adapter_that_stops_returns_what_it_leased()
    {
        var (node, model, key) = await AdapterWithKeyBudget(10m);
        Assert.Equal(HttpStatusCode.OK, (await node.ChatAsync(key.Key, model, MaxTokens)).Status);
        Assert.True((await Budget("key", key.Id)).GetProperty("leased").GetDecimal() > 0m);

        await node.DisposeAsync();

        var budget = await Budget("key", key.Id);
        Assert.Equal(0m, budget.GetProperty("leased").GetDecimal());
        Assert.Equal(WorstCase, budget.GetProperty("settled").GetDecimal());
    }

    /// <summary>
    /// The adapter renews the leases it uses and lets idle ones go (the API caps how many open leases one adapter holds):
    /// a lease nothing was admitted against since its last renewal gives back what it holds instead of being renewed.
    /// </summary>
    [Fact]
    public async Task a_lease_idle_since_its_last_renewal_is_given_back_instead_of_renewed()
    {
        var (adapter, model, key) = await AdapterWithKeyBudget(10m);
        await using var node = adapter;
        Assert.Equal(HttpStatusCode.OK, (await node.ChatAsync(key.Key, model, MaxTokens)).Status);
        var leaseId = Assert.Single(node.Host.Services.GetRequiredService<LeaseWallet>().Holdings().Keys);
        await using var session = fx.Store.QuerySession();
        async Task<IReadOnlyList<string>> LeaseEvents()
        {
            var lease = (await session.LoadAsync<Governance.Domain.Budgets.BudgetLease>(leaseId))!;
            return (await session.Events.FetchStreamAsync(lease.Window)).Where(e => e.EventTypeName.StartsWith("lease_", StringComparison.Ordinal))
                .Select(e => e.EventTypeName).ToList();
        }
        // The renewal rounds run on the adapter's (fake) clock: move it a second at a time until a round has done its work.
        Task<IReadOnlyList<string>> AdvanceUntil(Func<IReadOnlyList<string>, bool> done) =>
            Wait.For(async () =>
            {
                var events = await LeaseEvents();
                if (!done(events))
                    fx.Clock.Advance(TimeSpan.FromSeconds(1));
                return events;
            }, done, "a renewal round to do its work");

        // Used (its grant was for a request): renewed. Then idle for a whole round: given back, not renewed again.
        await AdvanceUntil(events => events.Contains("lease_extended"));
        var events = await AdvanceUntil(events => events.Contains("lease_returned"));

        Assert.Equal(1, events.Count(e => e == "lease_extended"));
        Assert.Equal(0m, (await Budget("key", key.Id)).GetProperty("leased").GetDecimal());
    }

    /// <summary>A key on a fresh model with a monthly key budget of <paramref name="limit"/>, and one adapter that has caught up with it.</summary>
    private async Task<(AdapterNode Node, string Model, Api.Issued Key)> AdapterWithKeyBudget(decimal limit)
    {
        var model = await Model();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await fx.Api.Put($"/api/budgets/key/{key.Id}", new { limit, period = "monthly" }, 200);
        var node = await AdapterNode.StartAsync(fx);
        await node.CaughtUpAsync(fx);
        return (node, model, key);
    }

    private static double Percentile(IReadOnlyList<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
