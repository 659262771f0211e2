using System.Text.Json;
using Governance.Domain.Catalog;
using Marten;

namespace Governance.Tests.Integration.Proxy;

/// <summary>Deployments and fallbacks are events in the model's stream, set through the governance API and validated field by field.</summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_routing_is_configured(GovernanceFixture fx)
{
    private async Task<string> RoutedModel(string? provider = null) =>
        await fx.Model([new(provider ?? await fx.Provider(fx.Upstream.BaseUrl), Api.Unique("up"))]);

    private async Task<JsonElement> Errors(string url, object body)
    {
        var problem = await fx.Api.Put(url, body, 400).Json();
        return problem.GetProperty("errors");
    }

    [Fact]
    public async Task deployments_and_fallbacks_are_recorded_as_events_and_shown()
    {
        var (a, b) = (await fx.Provider(fx.Upstream.BaseUrl), await fx.Provider(fx.Upstream.BaseUrl, "openai-compatible"));
        var model = await RoutedModel(a);
        var fallback = await RoutedModel(b);

        var set = await fx.Api.Put($"/api/models/{model}/deployments", new
        {
            deployments = new object[] { new { provider = a, upstreamModel = "gpt-4o", weight = 3 }, new { provider = b, upstreamModel = "llama" } },
        }, 200).Json();
        await fx.Api.Put($"/api/models/{model}/fallbacks", new { fallbacks = new[] { fallback } }, 200);
        // Setting the same again is a no-op.
        await fx.Api.Put($"/api/models/{model}/fallbacks", new { fallbacks = new[] { fallback } }, 200);

        Assert.Equal([$"{a}/gpt-4o", $"{b}/llama"], set.GetProperty("deployments").EnumerateArray().Select(d => d.GetProperty("id").GetString()));
        Assert.Equal(1, set.GetProperty("deployments")[1].GetProperty("weight").GetInt32());
        var routing = await fx.Api.Get($"/api/models/{model}/routing").Json();
        Assert.Equal(3, routing.GetProperty("deployments")[0].GetProperty("weight").GetInt32());
        Assert.Equal(fallback, routing.GetProperty("fallbacks")[0].GetString());
        // The first deployment is the model's primary route.
        Assert.Equal(a, (await fx.Api.Get($"/api/models/{model}").Json()).GetProperty("provider").GetString());

        await using var session = fx.Store.QuerySession();
        var events = await session.Events.FetchStreamAsync(model);
        Assert.Equal(["model_registered", "price_set", "model_deployments_set", "model_fallbacks_set"], events.Select(e => e.EventTypeName));
        Assert.IsType<ModelDeploymentsSet>(events[2].Data);
    }

    [Theory]
    [InlineData("""{"deployments":[]}""", "deployments")]
    [InlineData("""{"deployments":[{"provider":"P","upstreamModel":"m","weight":-1}]}""", "deployments[0].weight")]
    [InlineData("""{"deployments":[{"provider":"P","upstreamModel":"m","weight":1001}]}""", "deployments[0].weight")]
    [InlineData("""{"deployments":[{"provider":"P","upstreamModel":" m"}]}""", "deployments[0].upstreamModel")]
    [InlineData("""{"deployments":[{"provider":"","upstreamModel":"m"}]}""", "deployments[0].provider")]
    [InlineData("""{"deployments":[{"provider":"P","upstreamModel":"m"},{"provider":"P","upstreamModel":"m"}]}""", "deployments[1]")]
    [InlineData("""{"deployments":[{"provider":"P","upstreamModel":"m"},{"provider":"nobody","upstreamModel":"m"}]}""", "deployments[1].provider")]
    [InlineData("""{"deployments":[{"provider":"P","upstreamModel":"m"},{"provider":"ANTHROPIC","upstreamModel":"claude"}]}""", "deployments[1].provider")]
    public async Task bad_deployments_are_refused_naming_the_field(string json, string field)
    {
        var provider = await fx.Provider(fx.Upstream.BaseUrl);
        var anthropic = await fx.Provider(fx.Upstream.BaseUrl, "anthropic");
        var model = await RoutedModel(provider);

        var errors = await Errors($"/api/models/{model}/deployments", JsonDocument.Parse(json.Replace("\"P\"", $"\"{provider}\"")
            .Replace("\"ANTHROPIC\"", $"\"{anthropic}\"")).RootElement);

        Assert.True(errors.TryGetProperty(field, out _), $"expected an error for '{field}', got {errors}");
        Assert.Equal(provider, (await fx.Api.Get($"/api/models/{model}/routing").Json()).GetProperty("deployments")[0].GetProperty("provider").GetString());
    }

    [Fact]
    public async Task routing_an_unknown_model_is_404()
    {
        var provider = await fx.Provider(fx.Upstream.BaseUrl);
        await fx.Api.Put($"/api/models/{Api.Unique("nope")}/deployments", new { deployments = new[] { new { provider, upstreamModel = "m" } } }, 404);
        await fx.Api.Put($"/api/models/{Api.Unique("nope")}/fallbacks", new { fallbacks = Array.Empty<string>() }, 404);
        await fx.Api.Get($"/api/models/{Api.Unique("nope")}/routing", 404);
    }

    [Fact]
    public async Task a_model_may_fall_back_to_one_of_another_provider_family_both_ways()
    {
        var (gpt, otherGpt) = (await RoutedModel(), await RoutedModel());
        var claude = await RoutedModel(await fx.Provider(fx.Upstream.BaseUrl, "anthropic"));

        // Chat completions and messages reach both kinds (translated), so either can stand in for the other.
        await fx.Api.Put($"/api/models/{gpt}/fallbacks", new { fallbacks = new[] { claude } }, 200);
        await fx.Api.Put($"/api/models/{claude}/fallbacks", new { fallbacks = new[] { otherGpt } }, 200);

        Assert.Equal(claude, (await fx.Api.Get($"/api/models/{gpt}/routing").Json()).GetProperty("fallbacks")[0].GetString());
        Assert.Equal(otherGpt, (await fx.Api.Get($"/api/models/{claude}/routing").Json()).GetProperty("fallbacks")[0].GetString());
    }

    [Fact]
    public async Task bad_fallbacks_are_refused_naming_the_field()
    {
        var model = await RoutedModel();
        var other = await RoutedModel();
        var url = $"/api/models/{model}/fallbacks";

        Assert.True((await Errors(url, new { fallbacks = new[] { model } })).TryGetProperty("fallbacks[0]", out _));
        Assert.True((await Errors(url, new { fallbacks = new[] { other, Api.Unique("ghost") } })).TryGetProperty("fallbacks[1]", out _));
        Assert.True((await Errors(url, new { fallbacks = new[] { other, other } })).TryGetProperty("fallbacks[1]", out _));
        Assert.True((await Errors(url, new { fallbacks = (string[]?)null })).TryGetProperty("fallbacks", out _));
        // A catalog entry without a route cannot serve anything.
        Assert.True((await Errors(url, new { fallbacks = new[] { "gpt-4o-mini" } })).TryGetProperty("fallbacks[0]", out _));
    }

    [Fact]
    public async Task fallbacks_that_would_lead_back_to_the_model_are_refused_at_any_depth()
    {
        var (a, b, c) = (await RoutedModel(), await RoutedModel(), await RoutedModel());
        await fx.Api.Put($"/api/models/{a}/fallbacks", new { fallbacks = new[] { b } }, 200);
        await fx.Api.Put($"/api/models/{b}/fallbacks", new { fallbacks = new[] { c } }, 200);

        var direct = await Errors($"/api/models/{b}/fallbacks", new { fallbacks = new[] { a } });
        var deep = await Errors($"/api/models/{c}/fallbacks", new { fallbacks = new[] { a } });

        Assert.Contains($"{b} → {a} → {b}", direct.GetProperty("fallbacks[0]")[0].GetString());
        Assert.Contains($"{c} → {a} → {b} → {c}", deep.GetProperty("fallbacks[0]")[0].GetString());
        Assert.Empty((await fx.Api.Get($"/api/models/{c}/routing").Json()).GetProperty("fallbacks").EnumerateArray());
    }
}
