namespace Governance.Tests.Integration.Proxy;

/// <summary>
/// The catalog bounds what one request may use (docs/gateway.md, "What is charged when"): more output than the model
/// produces is refused, a request naming no limit is held at the model's maximum (and the provider told so), and an image,
/// file or audio part is held at the model's cost per part, or refused when the catalog cannot bound it.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_models_bound_a_request(GovernanceFixture fx, FakeProvider provider) : IClassFixture<FakeProvider>
{
    private const string Image = """{"type":"image_url","image_url":{"url":"https://example.com/receipt.png"}}""";

    /// <summary>A model routed to the fake provider, with the limits given (null: the catalog names none).</summary>
    private async Task<(string Model, Api.Issued Key, string Upstream)> Routed(object limits, decimal inputPrice = 0.15m, decimal outputPrice = 0.60m)
    {
        var prov = await fx.Provider(provider.BaseUrl);
        var upstream = Api.Unique("up");
        var model = Api.Unique("model");
        var registration = new Dictionary<string, object?>
        {
            ["name"] = model, ["provider"] = prov, ["upstreamModel"] = upstream, ["inputPricePer1M"] = inputPrice, ["outputPricePer1M"] = outputPrice,
        };
        foreach (var property in limits.GetType().GetProperties())
            registration[property.Name] = property.GetValue(limits);
        await fx.Api.Post("/api/models", registration, 201);
        return (model, await fx.IssueKey(Api.Unique("app"), model), upstream);
    }

    private async Task<HttpResponseMessage> Chat(Api.Issued key, string model, string content, string extra = "") =>
        await fx.ProxyClient(key.Key).PostAsync("/v1/chat/completions",
            Routing.JsonBody($$"""{"model":"{{model}}","messages":[{"role":"user","content":{{content}}}]{{extra}}}"""));

    [Fact]
    public async Task more_output_than_the_model_produces_is_refused_and_its_maximum_is_admitted()
    {
        var (model, key, upstream) = await Routed(new { maxOutputTokens = 1_000 });

        var tooMuch = await Chat(key, model, "\"hi\"", ",\"max_tokens\":1001");
        var most = await Chat(key, model, "\"hi\"", ",\"max_tokens\":1000");

        Assert.Equal(400, (int)tooMuch.StatusCode);
        var error = (await tooMuch.Json()).GetProperty("error");
        Assert.Equal("max_tokens", error.GetProperty("param").GetString());
        Assert.Contains("1000", error.GetProperty("message").GetString());
        Assert.Equal(200, (int)most.StatusCode);
        Assert.Equal(1, provider.CallsTo(upstream));
    }

    [Fact]
    public async Task a_request_naming_no_limit_may_use_the_models_maximum_and_the_provider_is_told_so()
    {
        var (model, key, upstream) = await Routed(new { maxInputTokens = 128_000, maxOutputTokens = 16_384 });

        var response = await Chat(key, model, "\"hi\"");

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(16_384, provider.Requests.Single(r => r.Model == upstream).Body["max_completion_tokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task an_image_on_a_model_whose_catalog_cannot_bound_it_is_refused_naming_the_part()
    {
        var (model, key, upstream) = await Routed(new { });

        var response = await Chat(key, model, $$"""[{"type":"text","text":"what is this?"},{{Image}}]""");

        Assert.Equal(400, (int)response.StatusCode);
        var error = (await response.Json()).GetProperty("error");
        Assert.Equal("messages[0].content[1]", error.GetProperty("param").GetString());
        Assert.Equal("unbounded_part", error.GetProperty("code").GetString());
        Assert.Equal(0, provider.CallsTo(upstream));
    }

    [Fact]
    public async Task an_image_is_held_at_the_models_cost_per_part()
    {
        // Text alone: a few hundred bytes and 16 output tokens, far below a cent. With the image: $0.10 more.
        var (model, key, upstream) = await Routed(new { maxCostPerPart = 0.10m });
        await fx.Api.Put($"/api/budgets/key/{key.Id}", new { limit = 0.05m, period = "monthly" }, 200);

        var text = await Chat(key, model, "\"what is this?\"", ",\"max_tokens\":16");
        var image = await Chat(key, model, $$"""[{"type":"text","text":"what is this?"},{{Image}}]""", ",\"max_tokens\":16");

        Assert.Equal(200, (int)text.StatusCode);
        Assert.Equal(429, (int)image.StatusCode);
        Assert.Equal("budget_exceeded", (await image.Json()).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(1, provider.CallsTo(upstream));
    }
}
