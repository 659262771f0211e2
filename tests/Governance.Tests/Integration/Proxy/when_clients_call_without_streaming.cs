using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;
using ProxyAdapter;

namespace Governance.Tests.Integration.Proxy;

/// <summary>Complete (non-streamed) answers: usage details, embeddings, and the estimate when a provider reports nothing.</summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_clients_call_without_streaming(GovernanceFixture fx, FakeProvider provider) : IClassFixture<FakeProvider>
{
    private OpenAIClientOptions SdkOptions => new()
    {
        Endpoint = new Uri("http://proxy.test/v1"),
        Transport = new HttpClientPipelineTransport(fx.ProxyClient()),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    };

    private async Task<(string Model, Api.Issued Key)> Routed(string upstreamModel, decimal input = 0.15m, decimal output = 0.60m, decimal? cached = 0.075m)
    {
        var prov = await fx.Provider(provider.BaseUrl);
        var model = await fx.Model([new(prov, upstreamModel)], input, output, cached);
        return (model, await fx.IssueKey(Api.Unique("app"), model));
    }

    [Fact]
    public async Task cached_and_reasoning_tokens_are_read_and_priced()
    {
        var (model, key) = await Routed(Api.Unique("gpt"));
        const string prompt = "Think about caching.";

        var completion = (await new ChatClient(model, new ApiKeyCredential(key.Key), SdkOptions).CompleteChatAsync([new UserChatMessage(prompt)])).Value;

        Assert.Equal(FakeProvider.AnswerText, completion.Content[0].Text);
        var logged = Assert.Single((await fx.Api.Get($"/api/keys/{key.Id}/requests").Json()).EnumerateArray().ToList());
        Assert.Equal(FakeProvider.CachedTokens, logged.GetProperty("cachedTokens").GetInt64());
        Assert.Equal(FakeProvider.ReasoningTokens, logged.GetProperty("reasoningTokens").GetInt64());
        Assert.False(logged.GetProperty("estimated").GetBoolean());
        Assert.Equal(((prompt.Length - 3) * 0.15m + 3 * 0.075m + FakeProvider.CompletionTokens * 0.60m) / 1_000_000m, logged.GetProperty("cost").GetDecimal());
    }

    [Fact]
    public async Task a_provider_that_sends_no_usage_is_estimated_and_marked()
    {
        var (model, key) = await Routed(Api.Unique("no-usage"));
        var json = Routing.ChatJson(model, "Estimate me.");

        var response = await fx.ProxyClient(key.Key).PostAsync("/v1/chat/completions", Routing.JsonBody(json));

        Assert.Equal(200, (int)response.StatusCode);
        var logged = await fx.Recorded(response.RequestId());
        Assert.NotNull(logged);
        Assert.True(logged.Estimated);
        Assert.Equal(Estimate.Tokens(Encoding.UTF8.GetByteCount(json)), logged.InputTokens);
        Assert.Equal(Estimate.Tokens(FakeProvider.AnswerText.Length), logged.OutputTokens);
        Assert.True(logged.Cost > 0);
    }

    [Fact]
    public async Task embeddings_through_the_sdk_are_priced_by_input_tokens()
    {
        var (model, key) = await Routed(Api.Unique("embed"), input: 0.02m, output: 0m, cached: null);

        var embeddings = (await new EmbeddingClient(model, new ApiKeyCredential(key.Key), SdkOptions)
            .GenerateEmbeddingsAsync(["first text", "second"])).Value;

        Assert.Equal(2, embeddings.Count);
        Assert.Equal([0.1f, 0.2f, 0.3f], embeddings[0].ToFloats().ToArray());
        var logged = Assert.Single((await fx.Api.Get($"/api/keys/{key.Id}/requests").Json()).EnumerateArray().ToList());
        Assert.Equal(16, logged.GetProperty("inputTokens").GetInt64());
        Assert.Equal(0, logged.GetProperty("outputTokens").GetInt64());
        Assert.Equal(16 * 0.02m / 1_000_000m, logged.GetProperty("cost").GetDecimal());
        // The provider got its own key and the upstream model name, never the virtual key.
        var forwarded = provider.Requests.Last();
        Assert.Equal("/v1/embeddings", forwarded.Path);
        Assert.StartsWith("Bearer sk-provider-", forwarded.Headers["authorization"]);
    }

    [Fact]
    public async Task embeddings_are_refused_like_any_call_when_the_budget_cannot_cover_them()
    {
        var (model, key) = await Routed(Api.Unique("embed"), input: 0.02m, output: 0m, cached: null);
        await fx.Api.Put($"/api/budgets/key/{key.Id}", new { limit = 0.0000001m, period = "daily" }, 200);

        var response = await fx.ProxyClient(key.Key).PostAsync("/v1/embeddings", Routing.JsonBody($$"""{"model":"{{model}}","input":"{{new string('a', 100)}}"}"""));

        Assert.Equal(429, (int)response.StatusCode);
        Assert.Equal("budget_exceeded", (await response.Json()).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task a_provider_refusal_that_is_not_a_failure_is_passed_through_without_retry()
    {
        var prov = await fx.Provider(provider.BaseUrl);
        var model = await fx.Model([new(prov, "fail-400"), new(prov, Api.Unique("gpt"), 0)]);
        var key = await fx.IssueKey(Api.Unique("app"), model);

        var response = await fx.ProxyClient(key.Key).PostAsync("/v1/chat/completions", Routing.JsonBody(Routing.ChatJson(model, "hi")));

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains("bad request upstream", await response.Content.ReadAsStringAsync());
        var logged = await fx.Recorded(response.RequestId());
        Assert.Equal(400, logged!.Status);
        Assert.Equal($"{prov}/fail-400", logged.Deployment);
        Assert.Empty(logged.FailedAttempts);
    }
}
