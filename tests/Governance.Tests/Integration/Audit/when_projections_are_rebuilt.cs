using System.Net.Http.Headers;
using System.Text.Json;
using Governance.Domain.Operators;
using Governance.Tests.Integration.Roles;
using Marten;
using Marten.Events;
using Npgsql;
using static Governance.Tests.Integration.Audit.AuditApi;

namespace Governance.Tests.Integration.Audit;

/// <summary>A fixture of its own: the history is built from scratch and the whole schema is compared before and after.</summary>
[CollectionDefinition(Name)]
public sealed class RebuildCollection : ICollectionFixture<GovernanceFixture>
{
    public const string Name = "rebuild";
}

/// <summary>
/// Rebuild equivalence: a realistic mixed history through the real API and proxy, then every projection torn down and
/// replayed from the events. Every document must come back exactly as the live system had written it.
/// </summary>
[Collection(RebuildCollection.Name)]
public sealed class when_projections_are_rebuilt(GovernanceFixture fx)
{
    private readonly Random _random = new(7);

    [Fact]
    public async Task every_projection_document_equals_the_live_one_after_a_mixed_history_across_window_boundaries()
    {
        var world = await BuildHistoryAsync();
        await ExpireEndedLeasesAsync();
        await fx.Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(120));
        var live = await ProjectionSnapshot.TakeAsync(fx.ConnectionString, fx.Schema);
        Assert.True(live.Count("request_log") >= 3000, $"{live.Count("request_log")} requests");
        Assert.True(live.Count("mt_doc_budgetwindowstate") >= 8, $"{live.Count("mt_doc_budgetwindowstate")} budget windows");
        Assert.True(live.Count("mt_doc_spendbucket") >= 100, $"{live.Count("mt_doc_spendbucket")} spend buckets");
        Assert.Equal(world.Keys.Count, live.Count("mt_doc_virtualkey"));

        // Damage the read side, so only a real replay of the events can bring it back.
        await ExecuteAsync($"delete from {fx.Schema}.request_log where id in (select id from {fx.Schema}.request_log limit 500)");
        await ExecuteAsync($"update {fx.Schema}.mt_doc_virtualkey set data = jsonb_set(data, '{{Status}}', '\"Active\"')");
        await ExecuteAsync($"delete from {fx.Schema}.mt_doc_spendbucket");

        var report = await fx.Api.Post("/api/admin/projections/rebuild", new { }, 200).Json();
        await fx.Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(120));
        var rebuilt = await ProjectionSnapshot.TakeAsync(fx.ConnectionString, fx.Schema);

        var differences = live.DifferencesFrom(rebuilt);
        Assert.True(differences.Count == 0, $"{differences.Count} documents differ after the rebuild:\n" + string.Join("\n", differences.Take(20)));
        Assert.Equal(0, report.GetProperty("appendedDuring").GetInt64());
        Assert.True(report.GetProperty("events").GetInt64() >= 3000);
        Assert.Contains(report.GetProperty("projections").EnumerateArray(), p => p.GetProperty("name").GetString() == "SpendBucket");
        Assert.Contains(report.GetProperty("projections").EnumerateArray(), p => p.GetProperty("name").GetString() == "VirtualKey");

        // The rebuilt system goes on: writes build on the rebuilt documents, the dashboards continue from where the rebuild
        // stopped (no request counted twice or missed), and a second rebuild agrees with what was written live since.
        fx.Clock.Advance(TimeSpan.FromMinutes(10));
        await StepAsync(world.Keys, world.Cheap, world.Mid, world.Big);
        await fx.Api.Post($"/api/keys/{world.Keys[3].Id}/revoke", new { reason = "after the rebuild" }, 200);
        await fx.Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(120));
        var liveAgain = await ProjectionSnapshot.TakeAsync(fx.ConnectionString, fx.Schema);
        Assert.True(liveAgain.Count("request_log") > live.Count("request_log"));
        await fx.Api.Post("/api/admin/projections/rebuild", new { }, 200);
        await fx.Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(120));
        differences = liveAgain.DifferencesFrom(await ProjectionSnapshot.TakeAsync(fx.ConnectionString, fx.Schema));
        Assert.True(differences.Count == 0, $"{differences.Count} documents differ after the second rebuild:\n" + string.Join("\n", differences.Take(20)));
    }

    /// <summary>
    /// The proxy's leases expire on Wolverine's wall-clock schedule (Leases__TtlSeconds after their grant), which would
    /// land in the middle of the comparison; the test clock has already ended them, so expire them now, as that message
    /// will (it is idempotent: the scheduled one then finds nothing to do).
    /// </summary>
    private async Task ExpireEndedLeasesAsync()
    {
        await using var session = fx.Store.QuerySession();
        using var scope = fx.Api.Services.CreateScope();
        var bus = scope.ServiceProvider.GetRequiredService<Wolverine.IMessageBus>();
        foreach (var id in await session.Query<Governance.Domain.Budgets.BudgetLease>().Select(l => l.Id).ToListAsync())
            await Governance.Store.Leases.ExpireLeaseHandler.Handle(new Governance.Store.Leases.ExpireLease(id), fx.Store, bus, fx.Clock, CancellationToken.None);
    }

    [Fact]
    public async Task a_second_rebuild_while_one_runs_is_refused_and_only_an_admin_may_start_one()
    {
        var auditor = (await fx.IssueOperator(OperatorRoles.Auditor)).Token;
        await fx.Api.Post("/api/admin/projections/rebuild", new { }, 403, auditor);

        // Another node's rebuild holds the lock.
        await using var other = new NpgsqlConnection(fx.ConnectionString + ";Pooling=false");
        await other.OpenAsync();
        await using (var take = new NpgsqlCommand("select pg_advisory_lock(hashtextextended('governance:projection-rebuild', 0))", other))
            await take.ExecuteScalarAsync();
        try
        {
            var refused = await fx.Api.Post("/api/admin/projections/rebuild", new { }, 409).Json();
            Assert.Equal("rebuild_running", refused.GetProperty("code").GetString());
        }
        finally
        {
            await using var release = new NpgsqlCommand("select pg_advisory_unlock(hashtextextended('governance:projection-rebuild', 0))", other);
            await release.ExecuteScalarAsync();
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(fx.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private sealed record World(List<Key> Keys, string Cheap, string Mid, string Big);

    private sealed record Key(string Id, string Secret, string App, string[] Models);

    /// <summary>
    /// Operators, a provider and three models (one restricted), apps in teams, keys with rotations, suspensions,
    /// revocations and scope changes, approvals (granted, rejected, withdrawn, revoked), budgets at every level and
    /// period, webhooks, price changes, and thousands of requests (reported in batches, authorized and captured, proxied,
    /// denied) from the last evening of November into December and a week later.
    /// </summary>
    private async Task<World> BuildHistoryAsync()
    {
        var approvers = new[] { (await fx.IssueOperator(OperatorRoles.Approver)).Token, (await fx.IssueOperator(OperatorRoles.Approver)).Token };
        var retired = await fx.IssueOperator(OperatorRoles.Admin);
        await fx.Api.Post($"/api/operators/{retired.Id}/revoke", new { reason = "left the team" }, 200);

        var cheap = await fx.ProviderAndModel(inputPrice: 0.15m, outputPrice: 0.60m);
        var mid = await fx.ProviderAndModel(inputPrice: 1m, outputPrice: 4m);
        var big = await fx.ProviderAndModel(inputPrice: 0m, outputPrice: 50m);
        await fx.Put($"/api/models/{big}/policy", new { restricted = true, approvalsRequired = 2, maxGrantDays = 30, spendCap = 2m });
        await fx.Put($"/api/prices/{mid}", new { inputPer1M = 1.5m, outputPer1M = 5m, effectiveFrom = fx.Clock.GetUtcNow().AddDays(3) });

        string[] apps = ["billing", "search", "support"];
        await fx.Put("/api/apps/billing", new { team = "finance" });
        await fx.Put("/api/apps/search", new { team = "finance" });
        await fx.Put("/api/apps/support", new { team = "ops" });
        await fx.Put("/api/webhooks/global", new { url = "http://127.0.0.1:9/hooks", secret = "global-secret-0123456789" });
        await fx.Put("/api/apps/billing/webhook", new { url = "http://127.0.0.1:9/billing", secret = "billing-secret-0123456789" });

        var keys = new List<Key>();
        foreach (var app in apps)
            for (var i = 0; i < 4; i++)
            {
                string[] models = i == 0 ? [cheap, mid, big] : [cheap, mid];
                var issued = await fx.IssueKey(app, models, i == 3 ? fx.Clock.GetUtcNow().AddDays(60) : null);
                keys.Add(new Key(issued.Id, issued.Key, app, models));
            }
        await fx.Put($"/api/keys/{keys[1].Id}/policy", new { suspendOnAnomaly = true });

        await fx.Put("/api/budgets/team/finance", new { limit = 50m, period = "monthly" });
        await fx.Put("/api/budgets/app/billing", new { limit = 1.5m, period = "daily", thresholds = new[] { 25, 50, 75, 100 } });
        await fx.Put("/api/budgets/app/support", new { limit = 20m, period = "weekly" });
        await fx.Put($"/api/budgets/key/{keys[0].Id}", new { limit = 0.40m, period = "monthly" });
        await fx.Put($"/api/budgets/key/{keys[5].Id}", new { limit = 1m, period = "daily", thresholds = new[] { 50, 90 } });
        await fx.Put($"/api/budgets/key/{keys[9].Id}", new { limit = 5m, period = "lifetime" });

        var granted = await RequestAccessAsync(keys[0].Id, null, big);
        await Approve(granted, approvers[0]);
        await Approve(granted, approvers[1]);
        var rejected = await RequestAccessAsync(keys[4].Id, null, big);
        await fx.Api.Post($"/api/access-requests/{rejected}/reject", new { reason = "use the mid model" }, 200, approvers[0]);
        var withdrawn = await RequestAccessAsync(null, "support", big);
        await fx.Api.Post($"/api/access-requests/{withdrawn}/withdraw", new { }, 200);
        var revokedLater = await RequestAccessAsync(keys[8].Id, null, big);
        await Approve(revokedLater, approvers[0]);
        await Approve(revokedLater, approvers[1]);

        // The last evening of November into the first morning of December: new daily and monthly windows at midnight.
        fx.Clock.Advance(new DateTimeOffset(2026, 11, 30, 21, 0, 0, TimeSpan.Zero) - fx.Clock.GetUtcNow());
        for (var step = 0; step < 12; step++)
        {
            await StepAsync(keys, cheap, mid, big);
            switch (step)
            {
                case 2:
                    var rotated = await fx.Api.Post($"/api/keys/{keys[2].Id}/rotate", new { gracePeriodSeconds = 3600 }, 200).Json();
                    keys[2] = keys[2] with { Secret = rotated.GetProperty("key").GetString()! };
                    break;
                case 4:
                    await fx.Api.Post($"/api/keys/{keys[6].Id}/revoke", new { reason = "app retired" }, 200);
                    break;
                case 5:
                    await fx.Api.Post($"/api/keys/{keys[10].Id}/suspend", new { reason = "investigating" }, 200);
                    break;
                case 7:
                    await fx.Api.Post($"/api/keys/{keys[10].Id}/resume", new { }, 200);
                    await fx.Put($"/api/keys/{keys[7].Id}/models", new { models = new[] { cheap } });
                    keys[7] = keys[7] with { Models = [cheap] };
                    break;
                case 8:
                    await fx.Put($"/api/prices/{cheap}", new { inputPer1M = 0.10m, outputPer1M = 0.40m });
                    await fx.Put("/api/apps/search", new { team = "ops" });
                    break;
                case 9:
                    await fx.Api.Post($"/api/grants/{revokedLater}/revoke", new { reason = "no longer needed" }, 200);
                    break;
            }
            fx.Clock.Advance(TimeSpan.FromMinutes(30));
        }
        // A week later: a new weekly window, and the future price of the mid model now in effect.
        fx.Clock.Advance(TimeSpan.FromDays(7));
        for (var step = 0; step < 3; step++)
        {
            await StepAsync(keys, cheap, mid, big);
            fx.Clock.Advance(TimeSpan.FromHours(1));
        }
        return new World(keys, cheap, mid, big);
    }

    /// <summary>One half hour of traffic: a batch of reported usage, a few authorize-and-capture pairs, a few proxied calls.</summary>
    private async Task StepAsync(List<Key> keys, string cheap, string mid, string big)
    {
        var live = keys.Where((_, i) => i != 6).ToList();
        var batch = Enumerable.Range(0, 240).Select(_ =>
        {
            var key = live[_random.Next(live.Count)];
            return new
            {
                requestId = "req_" + Guid.NewGuid().ToString("N"), keyId = key.Id, model = _random.Next(3) == 0 ? mid : cheap,
                inputTokens = _random.Next(100, 4000), cachedTokens = _random.Next(0, 50), outputTokens = _random.Next(10, 1500),
                reasoningTokens = 0, latencyMs = _random.Next(50, 900), status = _random.Next(40) == 0 ? 500 : 200,
            };
        }).ToArray();
        await fx.Api.Post("/api/usage", batch, 200);

        for (var i = 0; i < 6; i++)
        {
            var key = live[_random.Next(live.Count)];
            var model = key.Models[_random.Next(key.Models.Length)];
            var decision = await fx.Api.Post("/api/authorize",
                new { key = key.Secret, model, maxInputTokens = 2000, maxOutputTokens = 1000 }, 200).Json();
            if (decision.GetProperty("allowed").GetBoolean() && decision.GetProperty("reservationId").GetString() is { } reservation)
                await fx.Api.Post("/api/usage", Usage(key.Id, model, _random.Next(1, 1000), reservation), 200);
        }

        using var proxy = fx.ProxyClient();
        foreach (var (key, model) in new[] { (keys[0], big), (keys[_random.Next(keys.Count)], cheap), (keys[_random.Next(keys.Count)], mid) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = JsonContent.Create(new { model, max_tokens = 500, messages = new[] { new { role = "user", content = "summarise the ledger" } } }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key.Secret);
            using var response = await proxy.SendAsync(request);
        }
    }

    private async Task<string> RequestAccessAsync(string? keyId, string? app, string model) =>
        (await fx.Api.Post("/api/access-requests", new { keyId, app, model, justification = "month-end close", durationDays = 20 }, 201).Json())
            .GetProperty("id").GetString()!;

    private Task Approve(string id, string approver) => fx.Api.Post($"/api/access-requests/{id}/approve", new { comment = "ok" }, 200, approver);
}
