using System.Collections.Concurrent;
using System.Text.Json;
using Governance.Domain.Operators;
using Governance.Store.Leases;
using Marten;
using Xunit.Abstractions;

namespace Governance.Tests.Integration.Leases;

[Collection(GovernanceCollection.Name)]
public sealed class when_adapters_lease_budgets(GovernanceFixture fx, ITestOutputHelper output)
{
    /// <summary>Every output token costs $50/1M: a 1,000-token worst case is exactly $0.05.</summary>
    private Task<string> FiveCentModel() => fx.ProviderAndModel(inputPrice: 0m, outputPrice: 50m);

    private static decimal Cost(long outputTokens) => outputTokens * 50m / 1_000_000m;

    private Task SetBudget(string level, string id, decimal limit, string period = "monthly") =>
        fx.Api.Scenario(s =>
        {
            s.Put.Json(new { limit, period }).ToUrl($"/api/budgets/{level}/{id}");
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
            s.StatusCodeShouldBe(200);
        });

    private async Task<JsonElement> Budget(string level, string id) => await fx.Api.Get($"/api/budgets/{level}/{id}").Json();

    private static async Task<JsonElement> Lease(SimulatedAdapter adapter, string keyId, decimal need, decimal? want = null, string? model = null)
    {
        var response = await adapter.Http.PostAsJsonAsync("/api/leases", new { adapterId = adapter.Id, keyId, model, need, want });
        Assert.Equal(200, (int)response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static async Task<JsonElement> Post(SimulatedAdapter adapter, string url, object body, int status = 200)
    {
        var response = await adapter.Http.PostAsJsonAsync(url, body);
        Assert.Equal(status, (int)response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>
    /// Two adapters, 200 requests at once against a $1.00 key budget, each admitted from the adapters' leases with a
    /// $0.05 worst case. Sampled all along, settled spend never exceeds $1.00 (nor does settled + held + leased). With
    /// every request costing its worst case, exactly 20 are admitted: no request was turned away while another
    /// adapter sat on headroom it did not use (recalls move it). With cheaper requests, more fit, still within $1.00.
    /// </summary>
    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    public async Task two_adapters_two_hundred_concurrent_requests_never_settle_more_than_a_one_dollar_budget(int seed, bool worstCaseCosts)
    {
        var model = await FiveCentModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await SetBudget("key", key.Id, 1.00m);
        await using var a = await SimulatedAdapter.StartAsync(fx);
        await using var b = await SimulatedAdapter.StartAsync(fx);
        var random = new Random(seed);
        var plan = Enumerable.Range(0, 200).Select(i => (Adapter: i % 2 == 0 ? a : b, Delay: random.Next(0, 20), Tokens: worstCaseCosts ? 1000L : random.Next(200, 1001))).ToList();

        var samples = new ConcurrentBag<(decimal Settled, decimal Committed)>();
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                var budget = await Budget("key", key.Id);
                samples.Add((budget.GetProperty("settled").GetDecimal(),
                    budget.GetProperty("settled").GetDecimal() + budget.GetProperty("held").GetDecimal() + budget.GetProperty("leased").GetDecimal()));
                await Task.Delay(5);
            }
        });

        var outcomes = await Task.WhenAll(plan.Select(async request =>
        {
            await Task.Delay(request.Delay);
            var admission = await request.Adapter.AdmitAsync(key.Id, Cost(1000));
            if (admission is null)
                return 0m;
            await request.Adapter.CompleteAsync(admission, model, request.Tokens, Cost(request.Tokens));
            return Cost(request.Tokens);
        }));
        await sampling.CancelAsync();
        await sampler;
        await a.ReturnAllAsync();
        await b.ReturnAllAsync();

        var admitted = outcomes.Count(c => c > 0);
        var budget = await Budget("key", key.Id);
        output.WriteLine($"admitted {admitted}, settled {budget.GetProperty("settled")}, recalls answered A {a.Recalled} B {b.Recalled}, retries A {a.Retries} B {b.Retries}, samples {samples.Count}");
        Assert.All(samples, s => Assert.True(s.Settled <= 1.00m && s.Committed <= 1.00m, $"settled {s.Settled}, settled+held+leased {s.Committed}"));
        Assert.Equal(outcomes.Sum(), budget.GetProperty("settled").GetDecimal());
        Assert.True(budget.GetProperty("settled").GetDecimal() <= 1.00m);
        Assert.Equal(0m, budget.GetProperty("leased").GetDecimal());
        if (worstCaseCosts)
        {
            Assert.Equal(20, admitted);
            Assert.Equal(1.00m, budget.GetProperty("settled").GetDecimal());
        }
        else
            Assert.True(admitted >= 20, $"admitted {admitted}");
    }

    [Fact]
    public async Task a_slice_sitting_unused_in_one_adapter_is_recalled_and_the_other_adapters_retry_succeeds()
    {
        var model = await FiveCentModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await SetBudget("key", key.Id, 1.00m);
        var a = await RawAdapter();
        var b = await RawAdapter();
        var cursor = await Cursor(b.Token);
        await using var feed = await FeedClient.ConnectAsync(fx, b.Token, cursor);

        // Half the budget is spent; B takes the rest (its share, half the limit) and admits one $0.05 request; the rest sits unused.
        await fx.Api.Post("/api/usage", new { requestId = Api.RequestId(), keyId = key.Id, model, inputTokens = 0, cachedTokens = 0, outputTokens = 10_000,
            reasoningTokens = 0, latencyMs = 5, status = 200 }, 200);
        var held = await Lease(b, key.Id, need: 0.05m, want: 1.00m);
        var leaseId = held.GetProperty("slices")[0].GetProperty("leaseId").GetString()!;
        Assert.Equal(0.50m, held.GetProperty("slices")[0].GetProperty("amount").GetDecimal());

        var refused = await Lease(a, key.Id, need: 0.05m);
        Assert.False(refused.GetProperty("granted").GetBoolean());
        Assert.Equal("retry", refused.GetProperty("reason").GetString());
        Assert.Equal([leaseId], refused.GetProperty("recalled").EnumerateArray().Select(r => r.GetString()));
        Assert.True(refused.GetProperty("retryAfterMs").GetInt32() > 0);

        var recall = await feed.ChangeAsync("lease_recalled", $"budget:key:{key.Id}:{Window()}");
        Assert.Equal((leaseId, b.Id, a.Id), (recall.Data.GetProperty("lease").GetProperty("leaseId").GetString(),
            recall.Data.GetProperty("lease").GetProperty("adapterId").GetString(), recall.Data.GetProperty("lease").GetProperty("recalledFor").GetString()));
        var returned = await Post(b, $"/api/leases/{leaseId}/return", new { unused = 0.45m });
        Assert.Equal((0.45m, 0.05m), (returned.GetProperty("changed").GetDecimal(), returned.GetProperty("remaining").GetDecimal()));

        var retry = await Lease(a, key.Id, need: 0.05m);
        Assert.True(retry.GetProperty("granted").GetBoolean());
        var budget = await Budget("key", key.Id);
        Assert.Equal(1.00m, budget.GetProperty("settled").GetDecimal() + budget.GetProperty("leased").GetDecimal() + budget.GetProperty("remaining").GetDecimal());
    }

    [Fact]
    public async Task a_request_is_denied_once_everything_left_is_in_flight_naming_the_level()
    {
        var model = await FiveCentModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await SetBudget("key", key.Id, 0.10m);
        var a = await RawAdapter();
        var b = await RawAdapter();
        var leaseOfA = (await Lease(a, key.Id, need: 0.05m)).GetProperty("slices")[0].GetProperty("leaseId").GetString()!;
        var leaseOfB = (await Lease(b, key.Id, need: 0.05m)).GetProperty("slices")[0].GetProperty("leaseId").GetString()!;
        // Both answer: nothing unused, their $0.05 each is in flight.
        await Post(a, $"/api/leases/{leaseOfA}/return", new { unused = 0m });
        await Post(b, $"/api/leases/{leaseOfB}/return", new { unused = 0m });

        var denied = await Lease(a, key.Id, need: 0.05m);

        Assert.Equal("budget_exceeded", denied.GetProperty("reason").GetString());
        var shortfall = denied.GetProperty("shortfall");
        Assert.Equal(("key", key.Id, 0m, 0.10m), (shortfall.GetProperty("level").GetString(), shortfall.GetProperty("owner").GetString(),
            shortfall.GetProperty("remaining").GetDecimal(), shortfall.GetProperty("leased").GetDecimal()));
    }

    [Fact]
    public async Task a_return_that_crossed_a_top_up_is_partial_and_the_lease_is_recalled_again_instead_of_denying()
    {
        var model = await FiveCentModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await SetBudget("key", key.Id, 0.10m);
        var a = await RawAdapter();
        var b = await RawAdapter();
        // B stays below its share (half the limit), so it may still top up.
        var held = (await Lease(b, key.Id, need: 0.02m, want: 0.04m)).GetProperty("slices")[0];
        var leaseId = held.GetProperty("leaseId").GetString()!;
        Assert.Equal(1, held.GetProperty("grants").GetInt32());
        Assert.Equal("retry", (await Lease(a, key.Id, need: 0.07m)).GetProperty("reason").GetString());
        // B tops its recalled lease up for a request of its own while its answer to the recall is on the way.
        var topUp = (await Lease(b, key.Id, need: 0.02m)).GetProperty("slices")[0];
        Assert.Equal((0.02m, 2), (topUp.GetProperty("amount").GetDecimal(), topUp.GetProperty("grants").GetInt32()));

        // B's answer was counted from the first grant alone: all of it in flight.
        await Post(b, $"/api/leases/{leaseId}/return", new { unused = 0m, grants = 1 });
        var again = await Lease(a, key.Id, need: 0.05m);
        Assert.Equal("retry", again.GetProperty("reason").GetString());
        Assert.Equal([leaseId], again.GetProperty("recalled").EnumerateArray().Select(r => r.GetString()));

        // Its next answer has seen both grants and gives the unused top-up back: A's request fits.
        await Post(b, $"/api/leases/{leaseId}/return", new { unused = 0.02m, grants = 2 });
        Assert.True((await Lease(a, key.Id, need: 0.05m)).GetProperty("granted").GetBoolean());
        await Post(b, $"/api/leases/{leaseId}/return", new { unused = 0m, grants = 0 }, 400);
    }

    [Fact]
    public async Task every_budget_level_of_the_key_gets_a_slice_and_a_key_without_budgets_needs_none()
    {
        var model = await FiveCentModel();
        var app = Api.Unique("app");
        var team = Api.Unique("team");
        var key = await fx.IssueKey(app, model);
        var free = await fx.IssueKey(Api.Unique("app"), model);
        await SetBudget("key", key.Id, 10m);
        await SetBudget("app", app, 2m);
        await fx.Api.Scenario(s =>
        {
            s.Put.Json(new { team }).ToUrl($"/api/apps/{app}");
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
        });
        await SetBudget("team", team, 0.15m);
        var adapter = await RawAdapter();

        var granted = await Lease(adapter, key.Id, need: 0.05m, want: 0.50m, model: model);
        var unbudgeted = await Lease(adapter, free.Id, need: 0.05m);

        Assert.Equal([("key", key.Id, 0.50m), ("app", app, 0.50m), ("team", team, 0.05m)],
            granted.GetProperty("slices").EnumerateArray().Select(s => (s.GetProperty("level").GetString(), s.GetProperty("owner").GetString(), s.GetProperty("amount").GetDecimal())));
        Assert.True(unbudgeted.GetProperty("granted").GetBoolean());
        Assert.Equal(0, unbudgeted.GetProperty("slices").GetArrayLength());
    }

    [Fact]
    public async Task usage_naming_leases_is_drawn_from_them_and_a_draw_beyond_a_lease_is_still_settled()
    {
        var model = await FiveCentModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await SetBudget("key", key.Id, 1.00m);
        var adapter = await RawAdapter();
        var leaseId = (await Lease(adapter, key.Id, need: 0.05m, want: 0.10m)).GetProperty("slices")[0].GetProperty("leaseId").GetString()!;

        await Post(adapter, "/api/usage", Usage(key.Id, model, 1000, leaseId));
        var afterDraw = await Budget("key", key.Id);
        await Post(adapter, "/api/usage", Usage(key.Id, model, 2000, leaseId));
        var afterOverdraw = await Budget("key", key.Id);

        Assert.Equal((0.05m, 0.05m), (afterDraw.GetProperty("settled").GetDecimal(), afterDraw.GetProperty("leased").GetDecimal()));
        Assert.Equal((0.15m, 0m), (afterOverdraw.GetProperty("settled").GetDecimal(), afterOverdraw.GetProperty("leased").GetDecimal()));
        await using var session = fx.Store.QuerySession();
        var events = await session.Events.FetchStreamAsync($"budget:key:{key.Id}:{Window()}");
        Assert.Equal(["budget_window_opened", "lease_granted", "lease_drawn", "lease_drawn"], events.Select(e => e.EventTypeName));
    }

    [Fact]
    public async Task the_budget_shows_leased_apart_from_held_and_both_count_against_the_limit()
    {
        var model = await FiveCentModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await SetBudget("key", key.Id, 1.00m);
        var adapter = await RawAdapter();

        await fx.Api.Post("/api/authorize", new { key = key.Key, model, maxInputTokens = 0, maxOutputTokens = 1000 }, 200);
        await Lease(adapter, key.Id, need: 0.05m, want: 0.30m);
        var budget = await Budget("key", key.Id);

        Assert.Equal((0m, 0.05m, 0.30m, 0.65m), (budget.GetProperty("settled").GetDecimal(), budget.GetProperty("held").GetDecimal(),
            budget.GetProperty("leased").GetDecimal(), budget.GetProperty("remaining").GetDecimal()));
        // A hold sees the leases: $0.65 is all that is left for one.
        var tooBig = await fx.Api.Post("/api/authorize", new { key = key.Key, model, maxInputTokens = 0, maxOutputTokens = 14_000 }, 200).Json();
        Assert.Equal("budget_exceeded", tooBig.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task an_unrenewed_lease_expires_and_gives_its_headroom_back()
    {
        var model = await FiveCentModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await SetBudget("key", key.Id, 1.00m);
        var adapter = await RawAdapter();
        var leaseId = (await Lease(adapter, key.Id, need: 0.05m, want: 0.40m)).GetProperty("slices")[0].GetProperty("leaseId").GetString()!;

        var renewed = await Post(adapter, $"/api/leases/{leaseId}/renew", new { });
        fx.Clock.Advance(TimeSpan.FromSeconds(61));
        // The headroom comes back by time alone, before the expiry message has run.
        Assert.Equal(0m, (await Budget("key", key.Id)).GetProperty("leased").GetDecimal());
        using var scope = fx.Api.Services.CreateScope();
        await ExpireLeaseHandler.Handle(new ExpireLease(leaseId), fx.Store, scope.ServiceProvider.GetRequiredService<Wolverine.IMessageBus>(), fx.Clock, CancellationToken.None);

        Assert.Equal("open", renewed.GetProperty("status").GetString());
        await using var session = fx.Store.QuerySession();
        var events = await session.Events.FetchStreamAsync($"budget:key:{key.Id}:{Window()}");
        Assert.Equal("lease_expired", events[^1].EventTypeName);
        var expired = await Post(adapter, $"/api/leases/{leaseId}/renew", new { }, 409);
        Assert.Equal("lease_expired", expired.GetProperty("code").GetString());
        Assert.Equal(0m, (await Post(adapter, $"/api/leases/{leaseId}/return", new { unused = 0.40m })).GetProperty("changed").GetDecimal());
    }

    [Fact]
    public async Task an_adapter_acts_only_as_itself_and_only_on_its_own_leases()
    {
        var model = await FiveCentModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await SetBudget("key", key.Id, 1.00m);
        var a = await RawAdapter();
        var b = await RawAdapter();
        var leaseId = (await Lease(a, key.Id, need: 0.05m)).GetProperty("slices")[0].GetProperty("leaseId").GetString()!;

        await Post(b, "/api/leases", new { adapterId = a.Id, keyId = key.Id, need = 0.05m }, 403);
        await Post(b, $"/api/leases/{leaseId}/renew", new { }, 403);
        await Post(b, $"/api/leases/{leaseId}/return", new { unused = 1m }, 403);
        await Post(b, "/api/leases/lse_nosuchlease/renew", new { }, 404);
        Assert.Equal(0.50m, (await Budget("key", key.Id)).GetProperty("leased").GetDecimal());
    }

    [Theory]
    [InlineData("""{"adapterId":"$me","keyId":"k","need":0}""", "need")]
    [InlineData("""{"adapterId":"$me","keyId":"k","need":0.05,"want":0.01}""", "want")]
    [InlineData("""{"adapterId":"$me","keyId":"","need":0.05}""", "keyId")]
    public async Task a_bad_lease_request_is_refused_naming_the_field(string json, string field)
    {
        var adapter = await RawAdapter();
        var content = new StringContent(json.Replace("$me", adapter.Id), System.Text.Encoding.UTF8, "application/json");

        var response = await adapter.Http.PostAsync("/api/leases", content);

        Assert.Equal(400, (int)response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").EnumerateObject().Any(e => e.Name.StartsWith(field, StringComparison.OrdinalIgnoreCase)), problem.ToString());
    }

    [Fact]
    public async Task a_revoked_key_or_a_restricted_model_without_a_grant_gets_no_lease()
    {
        var model = await FiveCentModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await SetBudget("key", key.Id, 1.00m);
        var adapter = await RawAdapter();
        await fx.Api.Scenario(s =>
        {
            s.Put.Json(new { restricted = true, approvalsRequired = 1, maxGrantDays = 7 }).ToUrl($"/api/models/{model}/policy");
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
        });

        Assert.Equal("approval_required", (await Lease(adapter, key.Id, need: 0.05m, model: model)).GetProperty("reason").GetString());
        await fx.Api.Post($"/api/keys/{key.Id}/revoke", new { reason = "leaked" }, 200);
        Assert.Equal("revoked", (await Lease(adapter, key.Id, need: 0.05m)).GetProperty("reason").GetString());
        Assert.Equal("unknown_key", (await Lease(adapter, "nosuchkey0000000", need: 0.05m)).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task usage_naming_an_unknown_lease_or_another_keys_lease_is_refused_whole()
    {
        var model = await FiveCentModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        var other = await fx.IssueKey(Api.Unique("app"), model);
        await SetBudget("key", key.Id, 1.00m);
        var adapter = await RawAdapter();
        var leaseId = (await Lease(adapter, key.Id, need: 0.05m)).GetProperty("slices")[0].GetProperty("leaseId").GetString()!;

        var unknown = await Post(adapter, "/api/usage", new[] { Usage(key.Id, model, 10, leaseId), Usage(key.Id, model, 10, "lse_nosuchlease") }, 400);
        var foreign = await Post(adapter, "/api/usage", Usage(other.Id, model, 10, leaseId), 400);
        var both = await Post(adapter, "/api/usage", new
        {
            requestId = Api.RequestId(), keyId = key.Id, model, inputTokens = 0, cachedTokens = 0, outputTokens = 1, reasoningTokens = 0,
            latencyMs = 1, status = 200, reservationId = "rsv_x", leaseIds = new[] { leaseId },
        }, 400);

        Assert.True(unknown.GetProperty("errors").TryGetProperty("[1].leaseIds", out _), unknown.ToString());
        Assert.True(foreign.GetProperty("errors").TryGetProperty("[0].leaseIds", out _), foreign.ToString());
        Assert.True(both.GetProperty("errors").TryGetProperty("[0].leaseIds", out _), both.ToString());
        Assert.Equal(0m, (await Budget("key", key.Id)).GetProperty("settled").GetDecimal());
    }

    [Fact]
    public async Task adapter_ids_are_for_adapter_tokens_and_one_live_token_per_adapter_id()
    {
        var id = Api.Unique("edge");
        await fx.Api.Post("/api/operators", new { name = id, roles = new[] { OperatorRoles.Adapter }, adapterId = id }, 201);

        await fx.Api.Post("/api/operators", new { name = id, roles = new[] { OperatorRoles.Adapter }, adapterId = id }, 409);
        var misplaced = await fx.Api.Post("/api/operators", new { name = id, roles = new[] { OperatorRoles.Auditor }, adapterId = "edge-x" }, 400).Json();
        Assert.True(misplaced.GetProperty("errors").TryGetProperty("adapterId", out _));
        var plain = await fx.Api.Post("/api/operators", new { name = id, roles = new[] { OperatorRoles.Adapter } }, 201).Json();
        // Without an adapter id, an adapter token acts as its token id.
        Assert.Equal(plain.GetProperty("id").GetString(), plain.GetProperty("details").GetProperty("adapterId").GetString());
    }

    /// <summary>Lease grant latency through the whole API (validation, key check, window lock, append, outbox), not asserted.</summary>
    [Fact]
    public async Task lease_grant_latency_is_measured()
    {
        var model = await FiveCentModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await SetBudget("key", key.Id, 1_000_000m);
        var adapter = await RawAdapter();
        for (var i = 0; i < 20; i++)
            await Lease(adapter, key.Id, need: 0.05m);

        var timings = new List<double>();
        for (var i = 0; i < 300; i++)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var answer = await Lease(adapter, key.Id, need: 0.05m);
            timings.Add(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            Assert.True(answer.GetProperty("granted").GetBoolean());
        }

        timings.Sort();
        output.WriteLine($"lease grant latency over {timings.Count} calls: p50 {timings[timings.Count / 2]:F2} ms, p99 {timings[(int)(timings.Count * 0.99)]:F2} ms, max {timings[^1]:F2} ms");
    }

    private static object Usage(string keyId, string model, long output, string leaseId) => new
    {
        requestId = Api.RequestId(), keyId, model, inputTokens = 0, cachedTokens = 0, outputTokens = output, reasoningTokens = 0,
        latencyMs = 12, status = 200, leaseIds = new[] { leaseId },
    };

    private string Window() => $"monthly-{fx.Clock.GetUtcNow().UtcDateTime:yyyy-MM}-01";

    private async Task<long> Cursor(string token)
    {
        var client = fx.Api.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return (await client.GetFromJsonAsync<JsonElement>("/api/feed/snapshot")).GetProperty("cursor").GetInt64();
    }

    /// <summary>An adapter driven step by step by the test: its token and client, no feed, no automatic recall answers.</summary>
    private async Task<SimulatedAdapter> RawAdapter() => await SimulatedAdapter.StartAsync(fx, answerRecalls: false);
}
