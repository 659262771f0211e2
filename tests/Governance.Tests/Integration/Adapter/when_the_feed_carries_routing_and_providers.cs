using System.Net.Http.Json;
using System.Text.Json;
using Governance.Domain.Operators;
using Governance.Projections.Feed;
using Governance.Tests.Integration.Proxy;
using Microsoft.Extensions.DependencyInjection;

namespace Governance.Tests.Integration.Adapter;

/// <summary>
/// An adapter forwards from memory, so the snapshot and the feed carry routing (deployments, fallbacks) and providers.
/// A provider's API key travels only as the stored ciphertext, and only to adapters.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_the_feed_carries_routing_and_providers(GovernanceFixture fx)
{
    private HttpClient Client(string token)
    {
        var client = fx.Api.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return client;
    }

    private async Task<List<JsonElement>> Changes(string token, long after, long upTo)
    {
        await fx.Api.Services.GetRequiredService<FeedHub>().WaitForMarkAsync(upTo, TimeSpan.FromSeconds(10));
        var page = await Client(token).GetFromJsonAsync<JsonElement>($"/api/feed?after={after}&wait=false&limit=1000");
        return page.GetProperty("changes").EnumerateArray().ToList();
    }

    [Fact]
    public async Task routing_and_providers_reach_adapters_with_the_key_encrypted_and_admins_without_it()
    {
        var adapter = (await fx.Api.Post("/api/operators", new { name = Api.Unique("edge"), roles = new[] { OperatorRoles.Adapter } }, 201).Json())
            .GetProperty("token").GetString()!;
        var cursor = (await Client(adapter).GetFromJsonAsync<JsonElement>("/api/feed/snapshot")).GetProperty("cursor").GetInt64();

        var provider = Api.Unique("prov");
        const string secret = "sk-plaintext-never-on-the-wire";
        await fx.Api.Post("/api/providers", new { name = provider, kind = "openai", baseUrl = "http://127.0.0.1:9/v1", apiKey = secret }, 201);
        var model = Api.Unique("model");
        var fallback = Api.Unique("model");
        foreach (var name in new[] { model, fallback })
            await fx.Api.Post("/api/models", new { name, provider, upstreamModel = "up-a", inputPricePer1M = 1m, outputPricePer1M = 2m }, 201);
        await fx.Api.Put($"/api/models/{model}/deployments", new
        {
            deployments = new[] { new { provider, upstreamModel = "up-a", weight = 3 }, new { provider, upstreamModel = "up-b", weight = 1 } },
        }, 200);
        await fx.Api.Put($"/api/models/{model}/fallbacks", new { fallbacks = new[] { fallback } }, 200);
        var last = await AdapterCatchUp.NewestFeedEventAsync(fx);

        var forAdapter = await Changes(adapter, cursor, last);
        var registered = forAdapter.Single(c => c.GetProperty("type").GetString() == "provider_registered" && c.GetProperty("stream").GetString() == provider);
        var ciphertext = registered.GetProperty("provider").GetProperty("encryptedApiKey").GetString()!;
        Assert.NotEqual(secret, ciphertext);
        Assert.DoesNotContain(secret, forAdapter.Select(c => c.GetRawText()).Aggregate("", string.Concat));
        Assert.Equal("openai", registered.GetProperty("provider").GetProperty("kind").GetString());
        var routed = forAdapter.Last(c => c.GetProperty("type").GetString() == "model_fallbacks_set" && c.GetProperty("stream").GetString() == model)
            .GetProperty("model");
        Assert.Equal(new[] { "up-a", "up-b" }, routed.GetProperty("deployments").EnumerateArray().Select(d => d.GetProperty("upstreamModel").GetString()));
        Assert.Equal(new[] { fallback }, routed.GetProperty("fallbacks").EnumerateArray().Select(f => f.GetString()));
        Assert.Contains(forAdapter, c => c.GetProperty("type").GetString() == "model_deployments_set");

        var forAdmin = await Changes(GovernanceFixture.AdminToken, cursor, last);
        var seenByAdmin = forAdmin.Single(c => c.GetProperty("type").GetString() == "provider_registered" && c.GetProperty("stream").GetString() == provider);
        Assert.False(seenByAdmin.GetProperty("provider").TryGetProperty("encryptedApiKey", out var key) && key.ValueKind != JsonValueKind.Null);
        Assert.DoesNotContain(ciphertext, forAdmin.Select(c => c.GetRawText()).Aggregate("", string.Concat));

        var snapshot = await Client(adapter).GetFromJsonAsync<JsonElement>("/api/feed/snapshot");
        Assert.Equal(ciphertext, snapshot.GetProperty("providers").EnumerateArray()
            .Single(p => p.GetProperty("name").GetString() == provider).GetProperty("encryptedApiKey").GetString());
    }
}
