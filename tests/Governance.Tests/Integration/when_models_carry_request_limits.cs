using System.Text.Json;
using Governance.Tests.Integration.Proxy;

namespace Governance.Tests.Integration;

/// <summary>
/// The catalog's limits of one request (maxInputTokens, maxOutputTokens, maxCostPerPart): seeded for the default catalog,
/// read from a LiteLLM price file, set at registration or with a price, validated, and shown by the model API.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_models_carry_request_limits(GovernanceFixture fx)
{
    private async Task<string> RegisteredProvider()
    {
        var provider = Api.Unique("prov");
        await fx.Api.Post("/api/providers", new { name = provider, kind = "openai", baseUrl = fx.Upstream.BaseUrl, apiKey = "sk-provider-" + provider }, 201);
        return provider;
    }

    private async Task<JsonElement> Model(string name) => await fx.Api.Get($"/api/models/{name}").Json();

    [Fact]
    public async Task the_default_catalog_is_seeded_with_each_models_window_and_maximum_output()
    {
        var model = await Model("gpt-4o-mini");

        Assert.Equal(128_000, model.GetProperty("maxInputTokens").GetInt64());
        Assert.Equal(16_384, model.GetProperty("maxOutputTokens").GetInt64());
        Assert.Equal(JsonValueKind.Null, model.GetProperty("maxCostPerPart").ValueKind);
    }

    [Fact]
    public async Task limits_given_at_registration_are_shown_and_replace_only_what_they_name()
    {
        var provider = await RegisteredProvider();
        var name = Api.Unique("model");

        var created = await fx.Api.Post("/api/models", new
        {
            name, provider, upstreamModel = "x", inputPricePer1M = 1m, outputPricePer1M = 2m, maxOutputTokens = 8_192, maxCostPerPart = 0.02m,
        }, 201).Json();
        await fx.Api.Put($"/api/prices/{name}", new { inputPer1M = 1m, outputPer1M = 2m, maxInputTokens = 200_000 }, 200);

        Assert.Equal(8_192, created.GetProperty("maxOutputTokens").GetInt64());
        var model = await Model(name);
        Assert.Equal(200_000, model.GetProperty("maxInputTokens").GetInt64());
        Assert.Equal(8_192, model.GetProperty("maxOutputTokens").GetInt64());
        Assert.Equal(0.02m, model.GetProperty("maxCostPerPart").GetDecimal());
    }

    [Theory]
    [InlineData("maxOutputTokens", 0)]
    [InlineData("maxOutputTokens", -1)]
    [InlineData("maxInputTokens", 100_000_001)]
    [InlineData("maxCostPerPart", 0)]
    [InlineData("maxCostPerPart", 1_000_000)]
    public async Task an_out_of_bounds_limit_is_refused_naming_the_field(string field, long value)
    {
        var registration = new Dictionary<string, object>
        {
            ["name"] = Api.Unique("model"), ["provider"] = await RegisteredProvider(), ["upstreamModel"] = "x", ["inputPricePer1M"] = 1m,
            ["outputPricePer1M"] = 2m, [field] = value,
        };

        var problem = await fx.Api.Post("/api/models", registration, 400).Json();

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task a_litellm_price_file_sets_the_limits_and_a_changed_limit_alone_is_imported_again()
    {
        var name = Api.Unique("model");
        async Task<JsonElement> Import(long maxOutput)
        {
            var file = $$$"""{"{{{name}}}":{"input_cost_per_token":1e-06,"output_cost_per_token":2e-06,"max_input_tokens":32000,"max_output_tokens":{{{maxOutput}}}}}""";
            using var api = fx.Api.Server.CreateClient();
            api.DefaultRequestHeaders.Authorization = new("Bearer", GovernanceFixture.AdminToken);
            var response = await api.PostAsync("/api/prices/import", new StringContent(file, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(200, (int)response.StatusCode);
            return await response.Content.ReadFromJsonAsync<JsonElement>();
        }

        await Import(4_000);
        var again = await Import(4_000);
        var changed = await Import(8_000);

        Assert.Equal(0, again.GetProperty("updated").GetArrayLength());
        Assert.Equal([name], changed.GetProperty("updated").EnumerateArray().Select(e => e.GetString()));
        var model = await Model(name);
        Assert.Equal(32_000, model.GetProperty("maxInputTokens").GetInt64());
        Assert.Equal(8_000, model.GetProperty("maxOutputTokens").GetInt64());
    }
}
