using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using Governance.Tests.Integration.Proxy;
using OpenAI;
using OpenAI.Chat;

namespace Governance.Tests.Integration.Providers;

/// <summary>
/// OpenAI's .NET SDK calls a Claude model through the proxy's <c>/v1/chat/completions</c>: the call is translated to the
/// Anthropic stand-in's Messages API and back, and governed (held, priced, logged) like a native call.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_openai_clients_call_claude_models(GovernanceFixture fx) : IAsyncLifetime
{
    private readonly AnthropicStandIn _anthropic = new(StandInKey);
    private const string StandInKey = "sk-anthropic-standin";

    public Task InitializeAsync() => _anthropic.StartAsync();

    public async Task DisposeAsync() => await _anthropic.DisposeAsync();

    /// <summary>A Claude model priced at $3 in, $15 out, $0.30 cached per million, and a key for it.</summary>
    private Task<(string Model, Api.Issued Key)> Claude(string upstreamModel = "claude-sonnet-4-5") =>
        _anthropic.ClaudeModelAsync(fx, upstreamModel);

    private ChatClient Sdk(string model, Api.Issued key) => new(model, new ApiKeyCredential(key.Key), new OpenAIClientOptions
    {
        Endpoint = new Uri("http://proxy.test/v1"),
        Transport = new HttpClientPipelineTransport(fx.ProxyClient()),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });

    // The stand-in reports 12 uncached + 3 cache-read input tokens and 6 output tokens.
    private const decimal StandInCost = (12 * 3m + 3 * 0.3m + 6 * 15m) / 1_000_000m;

    [Fact]
    public async Task a_chat_completion_is_answered_by_claude_and_priced_from_anthropics_usage()
    {
        var (model, key) = await Claude();

        var completion = (await Sdk(model, key).CompleteChatAsync([new SystemChatMessage("Be brief."), new UserChatMessage("Hi")])).Value;

        Assert.Equal(AnthropicStandIn.Text, completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(15, completion.Usage.InputTokenCount);
        Assert.Equal(model, completion.Model);
        var sent = _anthropic.Received.Last();
        Assert.Equal("/v1/messages", sent.Target);
        Assert.Equal(StandInKey, sent.Headers["x-api-key"]);
        Assert.DoesNotContain(key.Key, string.Join(" ", sent.Headers.Values) + Encoding.UTF8.GetString(sent.Body));
        var logged = Assert.Single((await fx.Api.Get($"/api/keys/{key.Id}/requests").Json()).EnumerateArray().ToList());
        Assert.Equal(15, logged.GetProperty("inputTokens").GetInt64());
        Assert.Equal(3, logged.GetProperty("cachedTokens").GetInt64());
        Assert.Equal(6, logged.GetProperty("outputTokens").GetInt64());
        Assert.False(logged.GetProperty("estimated").GetBoolean());
        Assert.Equal(StandInCost, logged.GetProperty("cost").GetDecimal());
    }

    [Fact]
    public async Task a_streamed_chat_completion_is_translated_chunk_by_chunk_with_the_usage_chunk_asked_for()
    {
        var (model, key) = await Claude();

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in Sdk(model, key).CompleteChatStreamingAsync([new UserChatMessage("Hi")]))
        {
            foreach (var part in update.ContentUpdate)
                text.Append(part.Text);
            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        Assert.Equal(AnthropicStandIn.Text, text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(6, usage.OutputTokenCount);
        var logged = await fx.OnlyRecordedForKeyEventually(key.Id);
        Assert.Equal(15, logged.InputTokens);
        Assert.Equal(6, logged.OutputTokens);
        Assert.False(logged.Estimated);
        Assert.Equal(StandInCost, logged.Cost);
    }

    [Fact]
    public async Task a_stream_that_did_not_ask_for_usage_gets_no_usage_chunk_and_is_still_priced()
    {
        var (model, key) = await Claude();

        var response = await fx.ProxyClient(key.Key).PostAsync("/v1/chat/completions", Routing.JsonBody(Routing.ChatJson(model, "Hi", stream: true)));

        Assert.Equal(200, (int)response.StatusCode);
        var events = await response.Content.ReadAsStringAsync();
        Assert.Contains("data: [DONE]", events);
        Assert.DoesNotContain("\"usage\"", events);
        var logged = await fx.RecordedEventually(response.RequestId());
        Assert.Equal(6, logged.OutputTokens);
        Assert.False(logged.Estimated);
    }

    [Fact]
    public async Task a_parameter_claude_cannot_take_is_refused_naming_it_before_anything_is_sent()
    {
        var (model, key) = await Claude();

        var refused = await Assert.ThrowsAsync<ClientResultException>(() =>
            Sdk(model, key).CompleteChatAsync([new UserChatMessage("Hi")], new ChatCompletionOptions { IncludeLogProbabilities = true }));

        Assert.Equal(400, refused.Status);
        var response = await fx.ProxyClient(key.Key).PostAsync("/v1/chat/completions", Routing.JsonBody(Routing.ChatJson(model, "Hi", extra: ",\"logprobs\":true")));
        Assert.Equal(400, (int)response.StatusCode);
        var body = (await response.Json()).GetProperty("error");
        Assert.Equal("logprobs", body.GetProperty("param").GetString());
        Assert.Equal("unsupported_parameter", body.GetProperty("code").GetString());
        Assert.Empty(_anthropic.Received);
    }

    [Fact]
    public async Task anthropics_overloaded_error_comes_back_in_openais_shape_as_a_503()
    {
        var (model, key) = await Claude("overloaded");

        var failed = await Assert.ThrowsAsync<ClientResultException>(() => Sdk(model, key).CompleteChatAsync([new UserChatMessage("Hi")]));

        Assert.Equal(503, failed.Status);
        using var answer = JsonDocument.Parse(failed.GetRawResponse()!.Content.ToString());
        var error = answer.RootElement.GetProperty("error");
        Assert.Equal("Overloaded", error.GetProperty("message").GetString());
        Assert.Equal("api_error", error.GetProperty("type").GetString());
    }
}
