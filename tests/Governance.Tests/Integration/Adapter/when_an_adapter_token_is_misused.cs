using System.Net;
using System.Text.Json;
using Governance.Domain.Budgets;
using Governance.Domain.Usage;
using Governance.Tests.Integration.Leases;

namespace Governance.Tests.Integration.Adapter;

/// <summary>
/// A stolen adapter token, used as an attacker would, through the real API: it may report what its own adapter admitted,
/// and nothing else. Request ids cannot name another stream.
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

    private Task SetBudget(string level, string owner, decimal limit, string period = "monthly") => fx.Api.Scenario(s =>
    {
        s.Put.Json(new { limit, period }).ToUrl($"/api/budgets/{level}/{owner}");
        s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
        s.StatusCodeShouldBe(200);
    });

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
}
