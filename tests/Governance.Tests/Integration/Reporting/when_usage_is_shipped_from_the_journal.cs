using System.Collections.Concurrent;
using System.Text.Json;
using Governance.Contracts.Audit;
using Governance.Contracts.Usage;
using Governance.Domain.Access;
using Governance.Domain.Usage;
using Governance.Projections.Usage;
using Marten;

namespace Governance.Tests.Integration.Reporting;

/// <summary>
/// The adapter's durable cost reporting (issue #5): what the gateway appends to its local journal reaches the ledger
/// through POST /api/usage exactly once, whatever happens to the API on the way.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_usage_is_shipped_from_the_journal(GovernanceFixture fx) : IAsyncLifetime
{
    private readonly ApiLink _link = new();
    private readonly string _directory = ReportingAdapter.NewDirectory();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task records_appended_while_the_api_is_unreachable_all_reach_the_ledger_once_it_returns()
    {
        var model = await fx.ProviderAndModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        _link.Down = true;
        await using var adapter = await ReportingAdapter.StartAsync(fx.Api, _directory, _link, fx.Logs);
        var acknowledged = new ConcurrentDictionary<string, UsageOutcome>();
        adapter.Journal.Acknowledged += outcomes =>
        {
            foreach (var (report, outcome) in outcomes)
                acknowledged[report.RequestId] = outcome;
        };

        var reports = Enumerable.Range(0, 300).Select(i => Ledger.Report(key.Id, model, fx.Clock.GetUtcNow()) with
        {
            Deployment = "primary", Estimated = i % 2 == 0, RequestedModel = "asked-for",
            FailedAttempts = [new FailedAttempt(model, "backup", 503, AttemptFailures.ServerError, 40)],
        }).ToList();
        await Parallel.ForEachAsync(reports, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (r, ct) => await adapter.Journal.AppendAsync(r, ct));
        await Wait.For(() => _link.FailedCalls >= 3, "the shipper to fail against the API that is down");
        Assert.Equal(300, adapter.Journal.Backlog.PendingRecords);
        Assert.NotNull(adapter.Journal.Backlog.OldestPendingAt);

        _link.Down = false;
        await adapter.DrainedAsync(TimeSpan.FromSeconds(30));

        var entries = await Ledger.EntriesAsync(fx.ConnectionString, fx.Schema, reports.Select(r => r.RequestId).ToList());
        Assert.Equal(300, entries.Count);
        Assert.All(entries.Values, count => Assert.Equal(1, count));
        Assert.Equal(300, acknowledged.Count);
        Assert.All(acknowledged.Values, o => Assert.False(o.Duplicate));
        // What the gateway knew about routing survives the trip through the API.
        await using var session = fx.Store.QuerySession();
        var recorded = (await RequestLog.RecordedAsync(session, [reports[0].RequestId], CancellationToken.None)).Single();
        Assert.Equal(("primary", true, "asked-for"), (recorded.Deployment, recorded.Estimated, recorded.RequestedModel));
        Assert.Equal("backup", Assert.Single(recorded.FailedAttempts).Deployment);
        Assert.Null(adapter.Journal.Backlog.OldestPendingAt);
    }

    [Fact]
    public async Task records_appended_one_by_one_within_the_linger_reach_the_api_in_a_few_calls()
    {
        var model = await fx.ProviderAndModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await using var adapter = await ReportingAdapter.StartAsync(fx.Api, _directory, _link, fx.Logs,
            options => options with { Linger = TimeSpan.FromSeconds(1) });

        // One request after the other, as a single client's calls come: without the linger, each would be a call of its own.
        var reports = Enumerable.Range(0, 40).Select(_ => Ledger.Report(key.Id, model, fx.Clock.GetUtcNow())).ToList();
        foreach (var report in reports)
            await adapter.Journal.AppendAsync(report, CancellationToken.None);
        await adapter.DrainedAsync(TimeSpan.FromSeconds(30));

        Assert.InRange(_link.AnsweredCalls, 1, 4);
        var entries = await Ledger.EntriesAsync(fx.ConnectionString, fx.Schema, reports.Select(r => r.RequestId).ToList());
        Assert.Equal(40, entries.Count);
    }

    [Fact]
    public async Task records_shipped_again_after_a_lost_answer_or_a_restart_are_recorded_once()
    {
        var model = await fx.ProviderAndModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        var reports = Enumerable.Range(0, 50).Select(_ => Ledger.Report(key.Id, model, fx.Clock.GetUtcNow())).ToList();
        _link.Down = true;
        await using (var first = await ReportingAdapter.StartAsync(fx.Api, _directory, _link, fx.Logs))
        {
            foreach (var report in reports)
                await first.Journal.AppendAsync(report, CancellationToken.None);
            // The API records the batch, but the adapter never hears back: nothing is acknowledged locally.
            _link.LoseAnswers = true;
            _link.Down = false;
            var failed = _link.FailedCalls;
            await Wait.For(() => _link.FailedCalls >= failed + 3, "the shipper to lose three answers");
            Assert.Equal(50, first.Journal.Backlog.PendingRecords);
        }

        // The adapter restarts: the journal replays what was never acknowledged, and the API calls it duplicates.
        _link.LoseAnswers = false;
        await using var second = await ReportingAdapter.StartAsync(fx.Api, _directory, _link, fx.Logs);
        var acknowledged = new ConcurrentDictionary<string, UsageOutcome>();
        second.Journal.Acknowledged += outcomes =>
        {
            foreach (var (report, outcome) in outcomes)
                acknowledged[report.RequestId] = outcome;
        };
        await second.DrainedAsync(TimeSpan.FromSeconds(30));

        var entries = await Ledger.EntriesAsync(fx.ConnectionString, fx.Schema, reports.Select(r => r.RequestId).ToList());
        Assert.Equal(50, entries.Count);
        Assert.All(entries.Values, count => Assert.Equal(1, count));
        Assert.Equal(50, acknowledged.Count);
        Assert.All(acknowledged.Values, o => Assert.True(o.Duplicate));
    }

    [Fact]
    public async Task a_record_the_api_refuses_is_quarantined_and_the_rest_arrive()
    {
        var model = await fx.ProviderAndModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        var now = fx.Clock.GetUtcNow();
        var good = Enumerable.Range(0, 10).Select(_ => Ledger.Report(key.Id, model, now)).ToList();
        var unknownKey = Ledger.Report("key_doesnotexist", model, now);
        var impossible = Ledger.Report(key.Id, model, now) with { CachedTokens = 5000 };
        var denied = new RequestDenied(Api.RequestId(), key.Id, null, model, DenialReasons.BudgetExceeded, "key", key.Id, 0.01m, 0.02m, "adapter:test", now);
        var badDenial = denied with { RequestId = "" };

        await using var adapter = await ReportingAdapter.StartAsync(fx.Api, _directory, _link, fx.Logs);
        foreach (var report in good.Take(5).Append(unknownKey).Concat(good.Skip(5)).Append(impossible))
            await adapter.Journal.AppendAsync(report, CancellationToken.None);
        await adapter.Journal.AppendAsync(badDenial, CancellationToken.None);
        await adapter.Journal.AppendAsync(denied, CancellationToken.None);
        await adapter.DrainedAsync(TimeSpan.FromSeconds(30));

        var entries = await Ledger.EntriesAsync(fx.ConnectionString, fx.Schema, good.Append(unknownKey).Append(impossible).Select(r => r.RequestId).ToList());
        Assert.Equal(good.Select(r => r.RequestId).Order(), entries.Keys.Order());
        Assert.Equal(3, adapter.Journal.Backlog.DeadLettered);
        var quarantined = File.ReadAllLines(adapter.Journal.DeadLetterPath).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        // Which bad record the API names first depends on how the records were batched: compare as a set.
        Assert.Equal(
            new[] { (unknownKey.RequestId, "keyId"), (impossible.RequestId, "cachedTokens"), ("", "requestId") }.Order(),
            quarantined.Select(q => (q.GetProperty("requestId").GetString()!, q.GetProperty("field").GetString()!)).Order());
        await using var session = fx.Store.QuerySession();
        var history = await session.Events.FetchStreamAsync(denied.RequestId);
        Assert.Equal(DenialReasons.BudgetExceeded, Assert.IsType<RequestDenied>(Assert.Single(history).Data).Reason);
    }
    [Fact]
    public async Task a_minute_of_refusals_reaches_the_history_once_however_often_it_is_shipped()
    {
        await using var adapter = await ReportingAdapter.StartAsync(fx.Api, _directory, _link, fx.Logs);
        var adapterId = Api.Unique("edge");
        var now = fx.Clock.GetUtcNow();
        var report = new RefusalReport(adapterId, "00112233aabbccdd", new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero),
            [new RefusalCount(DenialReasons.UnknownKey, null, 100_000)]);

        await adapter.Journal.AppendAsync(report, CancellationToken.None);
        await adapter.Journal.AppendAsync(report, CancellationToken.None);
        await adapter.DrainedAsync(TimeSpan.FromSeconds(30));

        await using var session = fx.Store.QuerySession();
        var events = await session.Events.FetchStreamAsync(report.StreamId);
        Assert.Equal(100_000, Assert.IsType<RefusalsCounted>(Assert.Single(events).Data).Counts.Single().Count);
        Assert.Equal(0, adapter.Journal.Backlog.DeadLettered);
    }

}

[Collection(GovernanceCollection.Name)]
public sealed class when_adapters_report_denials_and_routing(GovernanceFixture fx)
{
    [Fact]
    public async Task denials_are_recorded_once_as_the_callers_and_can_be_explained()
    {
        var model = await fx.ProviderAndModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        var first = Api.RequestId();
        var denial = new { requestId = first, keyId = key.Id, model, reason = DenialReasons.BudgetExceeded, level = "key", owner = key.Id, remaining = 0.01m, worstCaseCost = 0.5m };

        var result = await fx.Api.Post("/api/denials", new object[] { denial, denial with { }, new { requestId = Api.RequestId(), model, reason = DenialReasons.UnknownKey } }, 200).Json();
        var again = await fx.Api.Post("/api/denials", denial, 200).Json();

        Assert.Equal([false, true, false], result.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("duplicate").GetBoolean()));
        Assert.True(again.GetProperty("results")[0].GetProperty("duplicate").GetBoolean());
        var explanation = await fx.Api.Get($"/api/requests/{first}/explanation").Json();
        Assert.Equal("denied", explanation.GetProperty("decision").GetString());
        await using var session = fx.Store.QuerySession();
        var recorded = Assert.IsType<RequestDenied>(Assert.Single(await session.Events.FetchStreamAsync(first)).Data);
        Assert.Equal((0.5m, fx.Clock.GetUtcNow()), (recorded.WorstCaseCost, recorded.DeniedAt));
    }

    [Fact]
    public async Task a_bad_denial_or_routing_field_is_a_400_naming_it_and_nothing_is_written()
    {
        var model = await fx.ProviderAndModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        var good = Api.RequestId();

        var denials = await fx.Api.Post("/api/denials", new object[]
        {
            new { requestId = good, model, reason = DenialReasons.Revoked },
            new { requestId = Api.RequestId(), model, reason = "" },
        }, 400).Json();
        var usage = await fx.Api.Post("/api/usage", new
        {
            requestId = Api.RequestId(), keyId = key.Id, model, inputTokens = 10, cachedTokens = 0, outputTokens = 5, reasoningTokens = 0,
            latencyMs = 1, status = 200, deployment = "primary",
            failedAttempts = new[] { new { model, deployment = "backup", status = 503, reason = "", latencyMs = 3 } },
        }, 400).Json();

        Assert.True(denials.GetProperty("errors").TryGetProperty("[1].reason", out _));
        Assert.True(usage.GetProperty("errors").TryGetProperty("[0].failedAttempts[0].reason", out _), usage.ToString());
        await using var session = fx.Store.QuerySession();
        Assert.Empty(await session.Events.FetchStreamAsync(good));
    }
}
