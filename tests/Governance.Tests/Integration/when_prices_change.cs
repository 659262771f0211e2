using System.Text.Json;

namespace Governance.Tests.Integration;

[Collection(GovernanceCollection.Name)]
public sealed class when_prices_change(GovernanceFixture fx)
{
    private Task<IScenarioResult> Put(string url, object body, int status = 200) => fx.Api.Scenario(s =>
    {
        s.Put.Json(body).ToUrl(url);
        s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
        s.StatusCodeShouldBe(status);
    });

    [Fact]
    public async Task widely_used_models_are_priced_from_the_first_start_with_their_source()
    {
        foreach (var model in new[] { "gpt-4o-mini", "claude-sonnet-4-20250514", "deepseek-chat", "gemini-2.5-flash" })
        {
            var priced = await fx.Api.Get($"/api/prices/{model}").Json();
            var current = priced.GetProperty("currentPrice");
            Assert.True(current.GetProperty("inputPer1M").GetDecimal() > 0, model);
            Assert.False(string.IsNullOrWhiteSpace(current.GetProperty("source").GetString()));
        }
        Assert.True((await fx.Api.Get("/api/models").Json()).GetArrayLength() >= 15);
    }

    [Fact]
    public async Task a_new_price_keeps_the_old_one_in_the_history()
    {
        var model = await fx.ProviderAndModel(inputPrice: 1m, outputPrice: 2m);
        var from = fx.Clock.GetUtcNow().AddDays(1);

        var updated = await Put($"/api/prices/{model}", new { inputPer1M = 1.5m, outputPer1M = 3m, cachedInputPer1M = 0.1m, effectiveFrom = from, source = "vendor email" }).Json();

        Assert.Equal(1m, updated.GetProperty("currentPrice").GetProperty("inputPer1M").GetDecimal());
        var history = updated.GetProperty("priceHistory");
        Assert.Equal(2, history.GetArrayLength());
        Assert.Equal(2, history[1].GetProperty("version").GetInt32());
        Assert.Equal("vendor email", history[1].GetProperty("source").GetString());
        Assert.Equal(from, history[1].GetProperty("effectiveFrom").GetDateTimeOffset());
    }

    [Fact]
    public async Task a_retroactive_or_negative_price_is_refused()
    {
        var model = await fx.ProviderAndModel();
        var past = await Put($"/api/prices/{model}", new { inputPer1M = 1m, outputPer1M = 1m, effectiveFrom = fx.Clock.GetUtcNow().AddMinutes(-1) }, 400).Json();
        Assert.True(past.GetProperty("errors").TryGetProperty("effectiveFrom", out _));
        var negative = await Put($"/api/prices/{model}", new { inputPer1M = -1m, outputPer1M = 1m }, 400).Json();
        Assert.True(negative.GetProperty("errors").TryGetProperty("inputPer1M", out _));
        var tooPrecise = await Put($"/api/prices/{model}", new { inputPer1M = 0.00000000001m, outputPer1M = 1m }, 400).Json();
        Assert.True(tooPrecise.GetProperty("errors").TryGetProperty("inputPer1M", out _));
    }

    [Fact]
    public async Task a_litellm_price_file_is_imported_once()
    {
        var model = Api.Unique("imported");
        var file = $$"""
            {
              "sample_spec": {"input_cost_per_token": 0, "output_cost_per_token": 0},
              "{{model}}": {"input_cost_per_token": 1.5e-07, "output_cost_per_token": 6e-07, "cache_read_input_token_cost": 7.5e-08, "litellm_provider": "openai", "mode": "chat"},
              "{{model}}-broken": {"input_cost_per_token": 1e-06, "litellm_provider": "openai"}
            }
            """;
        var client = fx.Api.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", GovernanceFixture.AdminToken);
        async Task<JsonElement> Import()
        {
            var response = await client.PostAsync($"/api/prices/import?models={model},{model}-broken",
                new StringContent(file, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(200, (int)response.StatusCode);
            return await response.Content.ReadFromJsonAsync<JsonElement>();
        }

        var first = await Import();
        Assert.Equal([model], first.GetProperty("updated").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains(first.GetProperty("skipped").EnumerateArray(), s => s.GetProperty("model").GetString() == $"{model}-broken");
        var second = await Import();
        Assert.Equal(0, second.GetProperty("updated").GetArrayLength());
        Assert.Equal([model], second.GetProperty("unchanged").EnumerateArray().Select(e => e.GetString()));

        var price = (await fx.Api.Get($"/api/prices/{model}").Json()).GetProperty("currentPrice");
        Assert.Equal(0.15m, price.GetProperty("inputPer1M").GetDecimal());
        Assert.Equal(0.6m, price.GetProperty("outputPer1M").GetDecimal());
        Assert.Equal(0.075m, price.GetProperty("cachedInputPer1M").GetDecimal());
    }

    [Fact]
    public async Task a_malformed_price_file_is_a_400()
    {
        await fx.Api.Scenario(s =>
        {
            s.Post.Text("[1,2,3]").ToUrl("/api/prices/import");
            s.WithRequestHeader("Content-Type", "application/json");
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
            s.StatusCodeShouldBe(400);
        });
    }

    [Fact]
    public async Task an_unknown_model_price_is_404() => await fx.Api.Get("/api/prices/no-such-model-anywhere", 404);
}
