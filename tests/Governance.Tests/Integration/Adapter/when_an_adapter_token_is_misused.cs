using System.Net;
using System.Text.Json;
using Governance.Domain.Budgets;
using Governance.Domain.Usage;
using Governance.Tests.Integration.Leases;
using Governance.Tests.Integration.Proxy;

namespace Governance.Tests.Integration.Adapter;

/// <summary>
/// A stolen adapter token, used as an attacker would, through the real API: it may report what its own adapter admitted,
/// and nothing else. Request ids cannot name another stream, usage cannot be dated outside what admitted it, and no
/// adapter settles another's leases or holds.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_an_adapter_token_is_misused(GovernanceFixture fx)
{
    /// <summary>Every output token costs $50/1M: 1,000 output tokens cost exactly $0.05.</summary>
    private Task<string> FiveCentModel() => fx.ProviderAndModel(inputPrice: 0m, outputPrice: 50m);

    private static object Usage(string keyId, string model, string? requestId = null, object? occurredAt = null, string? reservationId = null,
        string[]? leaseIds = null) => new
    {
        requestId = requestId ?? RequestIds.New(), keyId, model, inputTokens = 0, cachedTokens = 0, outputTokens = 1000, reasoningTokens = 0,
        latencyMs = 20, status = 200, occurredAt, reservationId, leaseIds,
    };

    private static async Task<(HttpStatusCode Status, JsonElement Body)> Post(HttpClient client, string url, object body)
    {
        var response = await client.PostAsJsonAsync(url, body);
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    private static void AssertRefused((HttpStatusCode Status, JsonElement Body) answer, string field)
    {
        Assert.True(answer.Status == HttpStatusCode.BadRequest, $"{(int)answer.Status}: {answer.Body}");
        Assert.True(answer.Body.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out _), answer.Body.ToString());
    }

    private Task SetBudget(string level, string owner, decimal limit, string period = "monthly") =>
        fx.Api.Put($"/api/budgets/{level}/{owner}", new { limit, period }, 200);

    /// <summary>A key on a five-cent model, with a monthly key budget of $1.00.</summary>
    private async Task<(string Model, Api.Issued Key)> BudgetedKey()
    {
        var model = await FiveCentModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await SetBudget("key", key.Id, 1.00m);
        return (model, key);
    }

    [Fact]
    public async Task a_denial_cannot_squat_the_stream_of_a_budget_window_and_the_budget_keeps_working()
    {
        var model = await FiveCentModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await using var adapter = await SimulatedAdapter.StartAsync(fx, answerRecalls: false);
        var today = BudgetIds.Window(BudgetLevel.Key, key.Id, Window.For(BudgetPeriod.Daily, fx.Clock.GetUtcNow()));

        var squat = await Post(adapter.Http, "/api/denials", new { requestId = today, keyId = key.Id, model, reason = "revoked" });

        AssertRefused(squat, "[0].requestId");
        // The window the denial aimed at opens as usual when the budget is set and used.
        await SetBudget("key", key.Id, 1.00m, "daily");
        var hold = await Post(adapter.Http, "/api/authorize", new { key = key.Key, model, maxInputTokens = 0, maxOutputTokens = 1000 });
        Assert.True(hold.Body.GetProperty("allowed").GetBoolean(), hold.Body.ToString());
        var settled = await Post(adapter.Http, "/api/usage", Usage(key.Id, model, reservationId: hold.Body.GetProperty("reservationId").GetString()));
        Assert.True(settled.Status == HttpStatusCode.OK, settled.Body.ToString());
        Assert.Equal(0.05m, (await fx.Api.Get($"/api/budgets/key/{key.Id}").Json()).GetProperty("settled").GetDecimal());
    }

    [Theory]
    [InlineData("budget:key:{key}")]
    [InlineData("app:{app}")]
    [InlineData("{key}")]
    [InlineData("audit:checkpoints")]
    [InlineData("req_no:colons")]
    [InlineData("req_")]
    public async Task a_request_id_of_another_shape_is_refused_on_usage_denials_and_explanations(string template)
    {
        var model = await FiveCentModel();
        var app = Api.Unique("app");
        var key = await fx.IssueKey(app, model);
        await using var adapter = await SimulatedAdapter.StartAsync(fx, answerRecalls: false);
        var requestId = template.Replace("{key}", key.Id).Replace("{app}", app);

        AssertRefused(await Post(adapter.Http, "/api/usage", Usage(key.Id, model, requestId)), "[0].requestId");
        AssertRefused(await Post(adapter.Http, "/api/denials", new[] { new { requestId, keyId = key.Id, model, reason = "revoked" } }), "[0].requestId");
        var explained = await fx.Api.Get($"/api/requests/{Uri.EscapeDataString(requestId)}/explanation", 400).Json();
        Assert.True(explained.GetProperty("errors").TryGetProperty("requestId", out _), explained.ToString());
        Assert.Equal(0, (await fx.Api.Get($"/api/keys/{key.Id}/requests").Json()).GetArrayLength());
    }

    [Fact]
    public async Task a_model_or_a_provider_cannot_take_a_name_from_the_request_ids()
    {
        var provider = await fx.Api.Post("/api/providers",
            new { name = "req_" + Guid.NewGuid().ToString("N"), kind = "openai", baseUrl = fx.Upstream.BaseUrl, apiKey = "sk-x" }, 400).Json();
        var model = await fx.Api.Post("/api/models",
            new { name = RequestIds.New(), provider = "openai", upstreamModel = "gpt-4o-mini", inputPricePer1M = 1m, outputPricePer1M = 1m }, 400).Json();

        Assert.True(provider.GetProperty("errors").TryGetProperty("name", out _), provider.ToString());
        Assert.True(model.GetProperty("errors").TryGetProperty("name", out _), model.ToString());
    }

    [Fact]
    public async Task usage_dated_in_2099_is_refused_and_nothing_is_charged()
    {
        var (model, key) = await BudgetedKey();
        await using var adapter = await SimulatedAdapter.StartAsync(fx, answerRecalls: false);

        var future = await Post(adapter.Http, "/api/usage", Usage(key.Id, model, occurredAt: "2099-01-01T00:00:00Z"));
        var lastDay = await Post(adapter.Http, "/api/usage", Usage(key.Id, model, occurredAt: "9999-12-31T23:59:59Z"));

        AssertRefused(future, "[0].occurredAt");
        AssertRefused(lastDay, "[0].occurredAt");
        Assert.Equal(0, (await fx.Api.Get($"/api/keys/{key.Id}/requests").Json()).GetArrayLength());
        Assert.Equal(0m, (await fx.Api.Get($"/api/budgets/key/{key.Id}").Json()).GetProperty("settled").GetDecimal());
    }

    [Fact]
    public async Task usage_cannot_draw_on_another_adapters_lease()
    {
        var (model, key) = await BudgetedKey();
        await using var owner = await SimulatedAdapter.StartAsync(fx, answerRecalls: false);
        await using var thief = await SimulatedAdapter.StartAsync(fx, answerRecalls: false);
        var lease = await Post(owner.Http, "/api/leases", new { adapterId = owner.Id, keyId = key.Id, need = 0.05m, want = 0.10m });
        var leaseId = lease.Body.GetProperty("slices")[0].GetProperty("leaseId").GetString()!;

        var stolen = await Post(thief.Http, "/api/usage", Usage(key.Id, model, leaseIds: [leaseId]));
        var own = await Post(owner.Http, "/api/usage", Usage(key.Id, model, leaseIds: [leaseId]));

        AssertRefused(stolen, "[0].leaseIds");
        Assert.True(own.Status == HttpStatusCode.OK, own.Body.ToString());
        var budget = await fx.Api.Get($"/api/budgets/key/{key.Id}").Json();
        Assert.Equal((0.05m, 0.05m), (budget.GetProperty("settled").GetDecimal(), budget.GetProperty("leased").GetDecimal()));
        Assert.Equal(1, (await fx.Api.Get($"/api/keys/{key.Id}/requests").Json()).GetArrayLength());
    }

    [Fact]
    public async Task usage_cannot_capture_a_hold_another_adapter_placed()
    {
        var (model, key) = await BudgetedKey();
        await using var owner = await SimulatedAdapter.StartAsync(fx, answerRecalls: false);
        await using var thief = await SimulatedAdapter.StartAsync(fx, answerRecalls: false);
        var hold = await Post(owner.Http, "/api/authorize", new { key = key.Key, model, maxInputTokens = 0, maxOutputTokens = 1000 });
        var reservationId = hold.Body.GetProperty("reservationId").GetString()!;

        var stolen = await Post(thief.Http, "/api/usage", Usage(key.Id, model, reservationId: reservationId));
        var own = await Post(owner.Http, "/api/usage", Usage(key.Id, model, reservationId: reservationId));

        AssertRefused(stolen, "[0].reservationId");
        Assert.True(own.Status == HttpStatusCode.OK, own.Body.ToString());
        var budget = await fx.Api.Get($"/api/budgets/key/{key.Id}").Json();
        Assert.Equal((0.05m, 0m), (budget.GetProperty("settled").GetDecimal(), budget.GetProperty("held").GetDecimal()));
    }

    [Fact]
    public async Task usage_dated_outside_the_lease_that_admitted_it_is_refused()
    {
        var (model, key) = await BudgetedKey();
        await using var adapter = await SimulatedAdapter.StartAsync(fx, answerRecalls: false);
        // The key is older than the lease, so only the lease's own time can refuse what follows.
        fx.Clock.Advance(TimeSpan.FromMinutes(10));
        var granted = fx.Clock.GetUtcNow();
        var lease = await Post(adapter.Http, "/api/leases", new { adapterId = adapter.Id, keyId = key.Id, need = 0.05m, want = 0.10m });
        var slice = lease.Body.GetProperty("slices")[0];
        var leaseId = slice.GetProperty("leaseId").GetString()!;
        var expiresAt = slice.GetProperty("expiresAt").GetDateTimeOffset();

        // Backdated before the lease existed, or dated past its end, beyond the clock skew (60 s).
        var before = await Post(adapter.Http, "/api/usage", Usage(key.Id, model, occurredAt: granted.AddMinutes(-5), leaseIds: [leaseId]));
        fx.Clock.Advance(expiresAt - granted + TimeSpan.FromMinutes(5));
        var after = await Post(adapter.Http, "/api/usage", Usage(key.Id, model, occurredAt: fx.Clock.GetUtcNow(), leaseIds: [leaseId]));
        // A request that happened while the lease was open is still settled when it is reported late.
        var late = await Post(adapter.Http, "/api/usage", Usage(key.Id, model, occurredAt: granted.AddSeconds(1), leaseIds: [leaseId]));

        AssertRefused(before, "[0].occurredAt");
        AssertRefused(after, "[0].occurredAt");
        Assert.True(late.Status == HttpStatusCode.OK, late.Body.ToString());
        Assert.Equal(1, (await fx.Api.Get($"/api/keys/{key.Id}/requests").Json()).GetArrayLength());
    }
}
