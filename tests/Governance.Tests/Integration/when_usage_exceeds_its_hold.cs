using System.Text.Json;
using Governance.Tests.Integration.Proxy;

namespace Governance.Tests.Integration;

/// <summary>
/// Usage that costs more than the worst case it was admitted for (a provider that ignores the limit, a gateway that
/// under-reserved) is charged in full, never capped, and the budget shows it as the window's <c>overrun</c>.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_usage_exceeds_its_hold(GovernanceFixture fx)
{
    private async Task<JsonElement> Budget(string keyId) => await fx.Api.Get($"/api/budgets/key/{keyId}").Json();

    [Fact]
    public async Task a_capture_above_its_hold_is_settled_in_full_and_shown_as_overrun()
    {
        var model = await fx.ProviderAndModel(inputPrice: 0m, outputPrice: 1_000m);
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        await fx.Api.Put($"/api/budgets/key/{issued.Id}", new { limit = 1m, period = "monthly" }, 200);

        // A hold for 10 output tokens ($0.01); the usage reports 50 ($0.05).
        var held = await fx.Api.Post("/api/authorize", new { key = issued.Key, model, maxInputTokens = 0, maxOutputTokens = 10 }, 200).Json();
        await fx.Api.Post("/api/usage", new
        {
            requestId = "req_" + Guid.NewGuid().ToString("N"), keyId = issued.Id, model, inputTokens = 0, cachedTokens = 0, outputTokens = 50,
            reasoningTokens = 0, latencyMs = 12, status = 200, reservationId = held.GetProperty("reservationId").GetString(),
        }, 200);

        var budget = await Budget(issued.Id);
        Assert.Equal(0.05m, budget.GetProperty("settled").GetDecimal());
        Assert.Equal(0.04m, budget.GetProperty("overrun").GetDecimal());
        Assert.Equal(0m, budget.GetProperty("held").GetDecimal());
    }

    [Fact]
    public async Task a_proxied_call_whose_provider_ignores_max_tokens_is_charged_what_it_used_and_the_excess_shows()
    {
        // No input price, $1,000 per 1M output tokens: max_tokens 1 is admitted for $0.001; the fake upstream answers 7 tokens.
        var model = await fx.ProviderAndModel(inputPrice: 0m, outputPrice: 1_000m);
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        await fx.Api.Put($"/api/budgets/key/{issued.Id}", new { limit = 1m, period = "monthly" }, 200);

        var response = await fx.ProxyClient(issued.Key).PostAsync("/v1/chat/completions",
            Routing.JsonBody(Routing.ChatJson(model, "hi", extra: ",\"max_tokens\":1")));

        Assert.Equal(200, (int)response.StatusCode);
        var recorded = await fx.RecordedEventually(response.RequestId());
        Assert.Equal(FakeUpstream.CompletionTokens, recorded.OutputTokens);
        var budget = await Budget(issued.Id);
        Assert.Equal(0.007m, budget.GetProperty("settled").GetDecimal());
        Assert.Equal(0.006m, budget.GetProperty("overrun").GetDecimal());
    }
}
