namespace Governance.Tests.Integration.Proxy;

/// <summary>Anthropic's Messages API, as its SDKs send it (x-api-key, anthropic-version), passed to an Anthropic-kind provider.</summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_anthropic_clients_send_messages(GovernanceFixture fx, FakeProvider provider) : IClassFixture<FakeProvider>
{
    private async Task<(string Model, Api.Issued Key, string Provider)> Routed(string upstreamModel)
    {
        var prov = await fx.Provider(provider.BaseUrl, kind: "anthropic");
        var model = await fx.Model([new(prov, upstreamModel)], inputPrice: 3m, outputPrice: 15m, cachedPrice: 0.3m);
        return (model, await fx.IssueKey(Api.Unique("app"), model), prov);
    }

    private HttpClient AnthropicClient(string virtualKey, string? version = "2023-06-01")
    {
        var client = fx.ProxyClient();
        client.DefaultRequestHeaders.Add("x-api-key", virtualKey);
        if (version is not null)
            client.DefaultRequestHeaders.Add("anthropic-version", version);
        return client;
    }

    private static string MessageJson(string model, string prompt, bool stream = false, bool maxTokens = true) =>
        $$"""{"model":"{{model}}",{{(maxTokens ? "\"max_tokens\":256," : "")}}"messages":[{"role":"user","content":"{{prompt}}"}]{{(stream ? ",\"stream\":true" : "")}}}""";

    [Fact]
    public async Task a_message_is_answered_with_the_provider_key_swapped_in_and_its_usage_charged()
    {
        var upstream = Api.Unique("claude");
        var (model, key, prov) = await Routed(upstream);
        const string prompt = "Hello Claude";

        var response = await AnthropicClient(key.Key, "2023-06-01").PostAsync("/v1/messages", Routing.JsonBody(MessageJson(model, prompt)));

        Assert.Equal(200, (int)response.StatusCode);
        var message = await response.Json();
        Assert.Equal("message", message.GetProperty("type").GetString());
        Assert.Equal(FakeProvider.AnswerText, message.GetProperty("content")[0].GetProperty("text").GetString());
        var forwarded = provider.Requests.Single(r => r.Model == upstream);
        Assert.Equal("/v1/messages", forwarded.Path);
        Assert.Equal("sk-provider-" + prov, forwarded.Headers["x-api-key"]);
        Assert.Equal("2023-06-01", forwarded.Headers["anthropic-version"]);
        Assert.False(forwarded.Headers.ContainsKey("authorization"));
        Assert.DoesNotContain(key.Key, string.Join(" ", forwarded.Headers.Values) + forwarded.Body.ToJsonString());

        // Anthropic reports cache reads and writes beside input_tokens; the ledger counts all three as input, reads as cached.
        var logged = await fx.Recorded(response.RequestId());
        Assert.NotNull(logged);
        Assert.Equal(prompt.Length + FakeProvider.CachedTokens + 1, logged.InputTokens);
        Assert.Equal(FakeProvider.CachedTokens, logged.CachedTokens);
        Assert.Equal(FakeProvider.CompletionTokens, logged.OutputTokens);
        Assert.False(logged.Estimated);
        Assert.Equal(((prompt.Length + 1) * 3m + FakeProvider.CachedTokens * 0.3m + FakeProvider.CompletionTokens * 15m) / 1_000_000m, logged.Cost);
    }

    [Fact]
    public async Task a_streamed_message_is_relayed_unchanged_and_charged_from_its_start_and_delta_events()
    {
        var upstream = Api.Unique("claude");
        var (model, key, _) = await Routed(upstream);
        const string prompt = "Stream, Claude";

        var response = await AnthropicClient(key.Key, version: null).PostAsync("/v1/messages", Routing.JsonBody(MessageJson(model, prompt, stream: true)));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(provider.SentStreams[upstream]), body);
        Assert.Contains("event: message_stop", body);
        // The client sent no anthropic-version; the provider still got one.
        Assert.Equal("2023-06-01", provider.Requests.Single(r => r.Model == upstream).Headers["anthropic-version"]);

        var logged = await fx.Recorded(response.RequestId());
        Assert.NotNull(logged);
        Assert.Equal(prompt.Length + FakeProvider.CachedTokens + 1, logged.InputTokens);
        Assert.Equal(FakeProvider.CachedTokens, logged.CachedTokens);
        Assert.Equal(FakeProvider.CompletionTokens, logged.OutputTokens);
        Assert.False(logged.Estimated);
    }

    [Fact]
    public async Task refusals_come_in_anthropic_error_shape()
    {
        var (model, key, _) = await Routed(Api.Unique("claude"));
        await fx.Api.Post($"/api/keys/{key.Id}/revoke", new { reason = "test" }, 200);

        var response = await AnthropicClient(key.Key).PostAsync("/v1/messages", Routing.JsonBody(MessageJson(model, "hi")));

        Assert.Equal(401, (int)response.StatusCode);
        var error = await response.Json();
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal("authentication_error", error.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("revoked", error.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(response.RequestId(), error.GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task a_message_without_max_tokens_is_refused_as_anthropic_would()
    {
        var (model, key, _) = await Routed(Api.Unique("claude"));

        var response = await AnthropicClient(key.Key).PostAsync("/v1/messages", Routing.JsonBody(MessageJson(model, "hi", maxTokens: false)));

        Assert.Equal(400, (int)response.StatusCode);
        var error = (await response.Json()).GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Contains("max_tokens", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task a_claude_model_cannot_be_reached_through_embeddings_and_is_refused_as_wrong_api()
    {
        var (claude, key, _) = await Routed(Api.Unique("claude"));
        var forwarded = provider.Requests.Count;

        // Messages reach GPT models and chat completions reach Claude models, translated (when_anthropic_clients_call_gpt_models,
        // when_openai_clients_call_claude_models); Anthropic has no embeddings API to translate to.
        var response = await fx.ProxyClient(key.Key).PostAsync("/v1/embeddings", Routing.JsonBody($$"""{"model":"{{claude}}","input":"hi"}"""));

        Assert.Equal(400, (int)response.StatusCode);
        var error = (await response.Json()).GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("wrong_api", error.GetProperty("code").GetString());
        Assert.Equal(forwarded, provider.Requests.Count);
    }
}
