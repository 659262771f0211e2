using System.Text.Json;

namespace Governance.Tests.Integration;

[Collection(GovernanceCollection.Name)]
public sealed class when_budgets_limit_spend(GovernanceFixture fx)
{
    /// <summary>A model whose every output token costs $50/1M, so a 1,000-token hold is exactly $0.05.</summary>
    private Task<string> FiveCentModel() => fx.ProviderAndModel(inputPrice: 0m, outputPrice: 50m);

    private Task<JsonElement> Authorize(string key, string model, long maxOutput = 1000) =>
        fx.Api.Post("/api/authorize", new { key, model, maxInputTokens = 0, maxOutputTokens = maxOutput }, 200).Json();

    private static object Usage(string keyId, string model, long output, string? reservationId = null, string? requestId = null) => new
    {
        requestId = requestId ?? Api.RequestId(), keyId, model, inputTokens = 0, cachedTokens = 0, outputTokens = output, reasoningTokens = 0,
        latencyMs = 12, status = 200, reservationId,
    };

    private Task SetBudget(string level, string id, decimal limit, string period = "monthly", int[]? thresholds = null) =>
        fx.Api.Scenario(s =>
        {
            s.Put.Json(new { limit, period, thresholds }).ToUrl($"/api/budgets/{level}/{id}");
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
            s.StatusCodeShouldBe(200);
        });

    private async Task<JsonElement> Budget(string level, string id) => await fx.Api.Get($"/api/budgets/{level}/{id}").Json();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task two_hundred_parallel_requests_against_a_one_dollar_budget_admit_exactly_twenty(int seed)
    {
        var model = await FiveCentModel();
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        await SetBudget("key", issued.Id, 1.00m);
        var client = fx.Api.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", GovernanceFixture.AdminToken);
        var random = new Random(seed);
        var delays = Enumerable.Range(0, 200).Select(_ => random.Next(0, 20)).ToArray();

        var outcomes = await Task.WhenAll(delays.Select(async delay =>
        {
            await Task.Delay(delay);
            var response = await client.PostAsJsonAsync("/api/authorize", new { key = issued.Key, model, maxInputTokens = 0, maxOutputTokens = 1000 });
            var decision = await response.Content.ReadFromJsonAsync<JsonElement>();
            if (!decision.GetProperty("allowed").GetBoolean())
                return decision.GetProperty("reason").GetString();
            var capture = await client.PostAsJsonAsync("/api/usage", Usage(issued.Id, model, 1000, decision.GetProperty("reservationId").GetString()));
            capture.EnsureSuccessStatusCode();
            return "admitted";
        }));

        Assert.Equal(20, outcomes.Count(o => o == "admitted"));
        Assert.All(outcomes.Where(o => o != "admitted"), o => Assert.Equal("budget_exceeded", o));
        var budget = await Budget("key", issued.Id);
        Assert.Equal(1.00m, budget.GetProperty("settled").GetDecimal());
        Assert.Equal(0m, budget.GetProperty("held").GetDecimal());
        Assert.Equal(0m, budget.GetProperty("remaining").GetDecimal());
    }

    [Fact]
    public async Task a_denial_names_the_level_that_lacks_headroom_and_what_it_has_left()
    {
        var model = await FiveCentModel();
        var app = Api.Unique("app");
        var team = Api.Unique("team");
        var issued = await fx.IssueKey(app, model);
        await SetBudget("key", issued.Id, 10m);
        await SetBudget("app", app, 1m);
        await fx.Api.Scenario(s =>
        {
            s.Put.Json(new { team }).ToUrl($"/api/apps/{app}");
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
        });
        await SetBudget("team", team, 0.07m);

        var first = await Authorize(issued.Key, model);
        Assert.True(first.GetProperty("allowed").GetBoolean());
        Assert.Equal(3, first.GetProperty("remaining").GetArrayLength());

        var second = await Authorize(issued.Key, model);
        Assert.False(second.GetProperty("allowed").GetBoolean());
        Assert.Equal("budget_exceeded", second.GetProperty("reason").GetString());
        var shortfall = second.GetProperty("shortfall");
        Assert.Equal("team", shortfall.GetProperty("level").GetString());
        Assert.Equal(team, shortfall.GetProperty("owner").GetString());
        Assert.Equal(0.02m, shortfall.GetProperty("remaining").GetDecimal());
    }

    [Fact]
    public async Task a_daily_window_rolls_over_by_time_alone()
    {
        var model = await FiveCentModel();
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        await SetBudget("key", issued.Id, 0.05m, "daily");

        var held = await Authorize(issued.Key, model);
        await fx.Api.Post("/api/usage", Usage(issued.Id, model, 1000, held.GetProperty("reservationId").GetString()), 200);
        Assert.Equal("budget_exceeded", (await Authorize(issued.Key, model)).GetProperty("reason").GetString());
        var today = await Budget("key", issued.Id);

        var now = fx.Clock.GetUtcNow();
        fx.Clock.Advance(now.UtcDateTime.Date.AddDays(1) - now.UtcDateTime);
        Assert.True((await Authorize(issued.Key, model)).GetProperty("allowed").GetBoolean());
        var tomorrow = await Budget("key", issued.Id);
        Assert.Equal(today.GetProperty("windowEnd").GetDateTimeOffset(), tomorrow.GetProperty("windowStart").GetDateTimeOffset());
        Assert.Equal(0m, tomorrow.GetProperty("settled").GetDecimal());
        Assert.Equal(0.05m, tomorrow.GetProperty("held").GetDecimal());
    }

    [Fact]
    public async Task a_hold_stops_counting_when_its_ttl_passes_even_before_the_expiry_event()
    {
        var model = await FiveCentModel();
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        await SetBudget("key", issued.Id, 0.05m, "lifetime");

        Assert.True((await Authorize(issued.Key, model)).GetProperty("allowed").GetBoolean());
        Assert.Equal("budget_exceeded", (await Authorize(issued.Key, model)).GetProperty("reason").GetString());
        fx.Clock.Advance(TimeSpan.FromMinutes(11));
        Assert.True((await Authorize(issued.Key, model)).GetProperty("allowed").GetBoolean());
    }

    [Fact]
    public async Task an_expired_hold_is_released_as_an_event()
    {
        var model = await FiveCentModel();
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        await SetBudget("key", issued.Id, 1m, "lifetime");
        var reservationId = (await Authorize(issued.Key, model)).GetProperty("reservationId").GetString()!;

        var handler = Governance.Store.Budgets.ExpireReservationHandler.Handle;
        using var scope = fx.Api.Services.CreateScope();
        var bus = scope.ServiceProvider.GetRequiredService<Wolverine.IMessageBus>();
        fx.Clock.Advance(TimeSpan.FromMinutes(11));
        await handler(new Governance.Store.Budgets.ExpireReservation(reservationId), fx.Store, bus, fx.Clock, CancellationToken.None);

        await using var session = fx.Store.QuerySession();
        var events = await session.Events.FetchStreamAsync(reservationId);
        Assert.Equal(["reservation_opened", "reservation_expired"], events.Select(e => e.EventTypeName));
        Assert.Equal(0m, (await Budget("key", issued.Id)).GetProperty("held").GetDecimal());
    }

    [Fact]
    public async Task usage_without_a_hold_is_settled_against_every_level()
    {
        var model = await FiveCentModel();
        var app = Api.Unique("app");
        var issued = await fx.IssueKey(app, model);
        await SetBudget("key", issued.Id, 1m);
        await SetBudget("app", app, 2m);

        await fx.Api.Post("/api/usage", new[] { Usage(issued.Id, model, 2000), Usage(issued.Id, model, 1000) }, 200);

        Assert.Equal(0.15m, (await Budget("key", issued.Id)).GetProperty("settled").GetDecimal());
        Assert.Equal(0.15m, (await Budget("app", app)).GetProperty("settled").GetDecimal());
    }

    [Fact]
    public async Task a_budget_set_mid_window_counts_the_spend_already_in_the_ledger()
    {
        var model = await FiveCentModel();
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        await fx.Api.Post("/api/usage", Usage(issued.Id, model, 4000), 200);

        await SetBudget("key", issued.Id, 0.25m);
        Assert.Equal(0.20m, (await Budget("key", issued.Id)).GetProperty("settled").GetDecimal());
        Assert.True((await Authorize(issued.Key, model)).GetProperty("allowed").GetBoolean());
        var denied = await Authorize(issued.Key, model);
        Assert.Equal("budget_exceeded", denied.GetProperty("reason").GetString());
        var status = await Budget("key", issued.Id);
        Assert.Equal(0.20m, status.GetProperty("settled").GetDecimal());
        Assert.Equal(0.05m, status.GetProperty("held").GetDecimal());
    }

    [Fact]
    public async Task an_unpriced_model_is_denied_before_anything_is_forwarded()
    {
        var model = Api.Unique("model");
        var provider = Api.Unique("prov");
        await fx.Api.Post("/api/providers", new { name = provider, kind = "openai", baseUrl = fx.Upstream.BaseUrl, apiKey = "sk-provider-x" }, 201);
        await fx.Api.Post("/api/models", new { name = model, provider, upstreamModel = "gpt-4o" }, 201);
        var issued = await fx.IssueKey(Api.Unique("app"), model);

        Assert.Equal("unpriced_model", (await Authorize(issued.Key, model)).GetProperty("reason").GetString());
        var forwarded = fx.Upstream.Requests.Count;
        var client = fx.ProxyClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", issued.Key);
        var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model, messages = new[] { new { role = "user", content = "hi" } } });
        Assert.Equal(403, (int)response.StatusCode);
        Assert.Contains("unpriced_model", await response.Content.ReadAsStringAsync());
        Assert.Equal(forwarded, fx.Upstream.Requests.Count);
        Assert.Equal(0, (await fx.Api.Get($"/api/keys/{issued.Id}/requests").Json()).GetArrayLength());
    }

    [Fact]
    public async Task the_proxy_denies_with_429_when_the_budget_is_spent()
    {
        var model = await fx.ProviderAndModel(inputPrice: 1m, outputPrice: 1m);
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        await SetBudget("key", issued.Id, 0.0001m);
        var client = fx.ProxyClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", issued.Key);

        var response = await client.PostAsJsonAsync("/v1/chat/completions",
            new { model, max_tokens = 1000, messages = new[] { new { role = "user", content = "hi" } } });

        Assert.Equal(429, (int)response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("insufficient_quota", error.GetProperty("type").GetString());
        Assert.Equal("budget_exceeded", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task a_proxied_call_holds_then_settles_its_actual_cost()
    {
        var model = await fx.ProviderAndModel(inputPrice: 1m, outputPrice: 2m);
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        await SetBudget("key", issued.Id, 1m);
        var client = fx.ProxyClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", issued.Key);

        var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model, messages = new[] { new { role = "user", content = "hello" } } });
        response.EnsureSuccessStatusCode();

        var budget = await Budget("key", issued.Id);
        Assert.Equal((5 * 1m + FakeUpstream.CompletionTokens * 2m) / 1_000_000m, budget.GetProperty("settled").GetDecimal());
        Assert.Equal(0m, budget.GetProperty("held").GetDecimal());
        // No max_tokens from the client: the proxy capped output at the size it held for.
        Assert.Equal(4096, fx.Upstream.Requests.Last().Body["max_completion_tokens"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("key", """{"limit":-1,"period":"monthly"}""", "limit")]
    [InlineData("key", """{"limit":1000000000,"period":"monthly"}""", "limit")]
    [InlineData("key", """{"limit":5,"period":"fortnightly"}""", "period")]
    [InlineData("key", """{"limit":5,"period":"monthly","thresholds":[0]}""", "thresholds[0]")]
    [InlineData("galaxy", """{"limit":5,"period":"monthly"}""", "level")]
    public async Task an_invalid_budget_is_refused_naming_the_field(string level, string json, string field)
    {
        var issued = await fx.IssueKey(Api.Unique("app"), "m");
        var problem = await fx.Api.Scenario(s =>
        {
            s.Put.Text(json).ToUrl($"/api/budgets/{level}/{issued.Id}");
            s.WithRequestHeader("Content-Type", "application/json");
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
            s.StatusCodeShouldBe(400);
        }).Json();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task a_budget_for_an_unknown_key_is_404()
    {
        await fx.Api.Scenario(s =>
        {
            s.Put.Json(new { limit = 1m, period = "daily" }).ToUrl("/api/budgets/key/nosuchkey0000000");
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
            s.StatusCodeShouldBe(404);
        });
        await fx.Api.Get("/api/budgets/app/" + Api.Unique("never-budgeted"), 404);
    }
}
