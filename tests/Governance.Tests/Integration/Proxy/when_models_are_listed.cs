using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;
using OpenAI.Models;

namespace Governance.Tests.Integration.Proxy;

/// <summary>GET /v1/models answers, for the presented key, exactly the models it may call now.</summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_models_are_listed(GovernanceFixture fx, FakeProvider provider) : IClassFixture<FakeProvider>
{
    private OpenAIModelClient Sdk(string virtualKey) => new(new ApiKeyCredential(virtualKey), new OpenAIClientOptions
    {
        Endpoint = new Uri("http://proxy.test/v1"),
        Transport = new HttpClientPipelineTransport(fx.ProxyClient()),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });

    [Fact]
    public async Task the_sdk_lists_only_the_models_in_the_key_scope()
    {
        var prov = await fx.Provider(provider.BaseUrl);
        var (allowed, other) = (await fx.Model([new(prov, "gpt-a")]), await fx.Model([new(prov, "gpt-b")]));
        var key = await fx.IssueKey(Api.Unique("app"), allowed);

        var models = (await Sdk(key.Key).GetModelsAsync()).Value;

        var model = Assert.Single(models);
        Assert.Equal(allowed, model.Id);
        Assert.Equal(prov, model.OwnedBy);
        Assert.Equal(allowed, (await Sdk(key.Key).GetModelAsync(allowed)).Value.Id);
        var hidden = await Assert.ThrowsAsync<ClientResultException>(() => Sdk(key.Key).GetModelAsync(other));
        Assert.Equal(404, hidden.Status);
    }

    [Fact]
    public async Task a_model_name_with_slashes_can_be_looked_up()
    {
        var prov = await fx.Provider(provider.BaseUrl);
        var name = "meta-llama/" + Api.Unique("llama");
        await fx.Api.Post("/api/models", new { name, provider = prov, upstreamModel = "llama", inputPricePer1M = 0.1m, outputPricePer1M = 0.1m }, 201);
        var key = await fx.IssueKey(Api.Unique("app"), name);

        var response = await fx.ProxyClient(key.Key).GetAsync("/v1/models/" + name);

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(name, (await response.Json()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task a_key_for_every_model_sees_routed_priced_ones_but_not_restricted_ones_without_a_grant()
    {
        var prov = await fx.Provider(provider.BaseUrl);
        var (open, restricted) = (await fx.Model([new(prov, "gpt-a")]), await fx.Model([new(prov, "gpt-b")]));
        await fx.Api.Put($"/api/models/{restricted}/policy", new { restricted = true, approvalsRequired = 1, maxGrantDays = 7 }, 200);
        var key = await fx.IssueKey(Api.Unique("app"), "*");

        var ids = (await Sdk(key.Key).GetModelsAsync()).Value.Select(m => m.Id).ToList();

        Assert.Contains(open, ids);
        Assert.DoesNotContain(restricted, ids);
        // Catalog entries without a route cannot be called, so they are not listed.
        Assert.DoesNotContain("gpt-4o-mini", ids);
    }

    [Fact]
    public async Task an_anthropic_client_gets_in_anthropic_shape_every_model_messages_reaches_gpt_ones_translated()
    {
        var claude = await fx.Model([new(await fx.Provider(provider.BaseUrl, "anthropic"), "claude-x")]);
        var gpt = await fx.Model([new(await fx.Provider(provider.BaseUrl), "gpt-a")]);
        var key = await fx.IssueKey(Api.Unique("app"), claude, gpt);
        var client = fx.ProxyClient();
        client.DefaultRequestHeaders.Add("x-api-key", key.Key);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");

        var list = await (await client.GetAsync("/v1/models")).Json();

        var models = list.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(new[] { claude, gpt }.Order(), models.Select(m => m.GetProperty("id").GetString()!).Order());
        Assert.All(models, m => Assert.Equal("model", m.GetProperty("type").GetString()));
        Assert.False(list.GetProperty("has_more").GetBoolean());
        Assert.Equal(gpt, (await (await client.GetAsync("/v1/models/" + gpt)).Json()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task an_openai_client_sees_claude_models_too_since_chat_completions_reaches_them_translated()
    {
        var claude = await fx.Model([new(await fx.Provider(provider.BaseUrl, "anthropic"), "claude-x")]);
        var gpt = await fx.Model([new(await fx.Provider(provider.BaseUrl), "gpt-a")]);
        var key = await fx.IssueKey(Api.Unique("app"), claude, gpt);

        var ids = (await Sdk(key.Key).GetModelsAsync()).Value.Select(m => m.Id).Order().ToList();

        Assert.Equal(new[] { claude, gpt }.Order(), ids);
        Assert.Equal(claude, (await Sdk(key.Key).GetModelAsync(claude)).Value.Id);
    }

    [Fact]
    public async Task a_revoked_key_lists_nothing_and_is_told_why()
    {
        var model = await fx.Model([new(await fx.Provider(provider.BaseUrl), "gpt-a")]);
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await fx.Api.Post($"/api/keys/{key.Id}/revoke", new { reason = "test" }, 200);

        var response = await fx.ProxyClient(key.Key).GetAsync("/v1/models");

        Assert.Equal(401, (int)response.StatusCode);
        Assert.Equal("revoked", (await response.Json()).GetProperty("error").GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(response.RequestId()));
    }
}
