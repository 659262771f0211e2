using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using Anthropic;
using Anthropic.Models.Messages;
using Governance.Tests.Integration.Proxy;
using OpenAI;
using OpenAI.Chat;

namespace Governance.Tests.Integration.Providers;

/// <summary>
/// A model's fallbacks may be served by another provider family: the call is translated for the fallback and its answer
/// back into the API the client called, charged at the fallback's price. Nothing is retried once a byte reached the client.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_fallbacks_cross_provider_families(GovernanceFixture fx, FakeProvider provider) : IClassFixture<FakeProvider>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private const string Key = "sk-standin";
    private readonly AnthropicStandIn _anthropic = new(Key);
    private readonly OpenAiStandIn _openAi = new(Key);

    public Task InitializeAsync() => Task.WhenAll(_anthropic.StartAsync(), _openAi.StartAsync());

    public async Task DisposeAsync()
    {
        await _anthropic.DisposeAsync();
        await _openAi.DisposeAsync();
    }

    private async Task<string> Provider(string kind, string baseUrl)
    {
        var name = Api.Unique(kind);
        await fx.Api.Post("/api/providers", new { name, kind, baseUrl, apiKey = Key }, 201);
        return name;
    }

    // Claude at $3 in, $15 out, $0.30 cached; GPT at $2.50 in, $10 out, $1.25 cached (per million).
    private async Task<string> Claude(string upstream = "claude-sonnet-4-5") =>
        await fx.Model([new(await Provider("anthropic", _anthropic.BaseUrl + "/v1"), upstream)], inputPrice: 3m, outputPrice: 15m, cachedPrice: 0.3m);

    private async Task<string> Gpt(string upstream, string? baseUrl = null) =>
        await fx.Model([new(await Provider("openai", baseUrl ?? _openAi.BaseUrl + "/v1"), upstream)], inputPrice: 2.5m, outputPrice: 10m, cachedPrice: 1.25m);

    // The Anthropic stand-in: 12 uncached + 3 cache-read input tokens, 6 output. The OpenAI stand-in: 20 prompt (5 cached), 8 completion.
    private const decimal ClaudeCost = (12 * 3m + 3 * 0.3m + 6 * 15m) / 1_000_000m;
    private const decimal GptCost = (15 * 2.5m + 5 * 1.25m + 8 * 10m) / 1_000_000m;

    private async Task<(string Primary, string Fallback, Api.Issued Key)> FallingBack(string primary, string fallback)
    {
        await fx.Api.Put($"/api/models/{primary}/fallbacks", new { fallbacks = new[] { fallback } }, 200);
        return (primary, fallback, await fx.IssueKey(Api.Unique("app"), primary));
    }

    private ChatClient OpenAiSdk(string model, Api.Issued key) => new(model, new ApiKeyCredential(key.Key), new OpenAIClientOptions
    {
        Endpoint = new Uri("http://proxy.test/v1"),
        Transport = new HttpClientPipelineTransport(fx.ProxyClient()),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });

    private AnthropicClient AnthropicSdk(Api.Issued key) => new() { ApiKey = key.Key, BaseUrl = "http://proxy.test", HttpClient = fx.ProxyClient(), MaxRetries = 0 };

    [Fact]
    public async Task a_gpt_model_whose_deployment_is_unavailable_falls_back_to_claude_and_the_openai_sdk_gets_an_openai_answer_at_claudes_price()
    {
        var (primary, fallback, key) = await FallingBack(await Gpt("unavailable"), await Claude());

        var completion = (await OpenAiSdk(primary, key).CompleteChatAsync([new UserChatMessage("Hi")])).Value;

        Assert.Equal(AnthropicStandIn.Text, completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal("/v1/messages", _anthropic.Received.Single().Target);
        var logged = await fx.OnlyRecordedForKeyEventually(key.Id);
        Assert.Equal(fallback, logged.Model);
        Assert.Equal(primary, logged.RequestedModel);
        Assert.Equal(ClaudeCost, logged.Cost);
        Assert.Equal(503, Assert.Single(logged.FailedAttempts).Status);
    }

    [Fact]
    public async Task a_streamed_call_falls_back_to_claude_and_the_openai_sdk_reads_openai_chunks_at_claudes_price()
    {
        var (primary, fallback, key) = await FallingBack(await Gpt("unavailable"), await Claude());

        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in OpenAiSdk(primary, key).CompleteChatStreamingAsync([new UserChatMessage("Hi")]))
        {
            foreach (var part in update.ContentUpdate)
                text.Append(part.Text);
            finish ??= update.FinishReason;
        }

        Assert.Equal(AnthropicStandIn.Text, text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        var logged = await fx.OnlyRecordedForKeyEventually(key.Id);
        Assert.Equal(fallback, logged.Model);
        Assert.Equal(ClaudeCost, logged.Cost);
        Assert.False(logged.Estimated);
    }

    [Fact]
    public async Task an_overloaded_claude_model_falls_back_to_gpt_and_the_anthropic_sdk_gets_a_message_at_gpts_price()
    {
        var (primary, fallback, key) = await FallingBack(await Claude("overloaded"), await Gpt("gpt-4o"));

        var message = await AnthropicSdk(key).Messages.Create(new MessageCreateParams
        {
            Model = primary, MaxTokens = 64, Messages = [new UserMessageParam { Content = "Hi" }],
        });

        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal(OpenAiStandIn.Text, text.Text);
        Assert.Equal(primary, message.Model.Raw());
        Assert.Equal("/v1/chat/completions", _openAi.Received.Single().Target);
        var logged = await fx.OnlyRecordedForKeyEventually(key.Id);
        Assert.Equal(fallback, logged.Model);
        Assert.Equal(GptCost, logged.Cost);
        Assert.Equal(529, Assert.Single(logged.FailedAttempts).Status);
    }

    [Fact]
    public async Task a_streamed_message_falls_back_to_gpt_and_the_anthropic_sdk_reads_message_events_at_gpts_price()
    {
        var (primary, fallback, key) = await FallingBack(await Claude("overloaded"), await Gpt("gpt-4o"));

        var text = new StringBuilder();
        await foreach (var e in AnthropicSdk(key).Messages.CreateStreaming(new MessageCreateParams
                       {
                           Model = primary, MaxTokens = 64, Messages = [new UserMessageParam { Content = "Hi" }],
                       }))
            if (e.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var piece))
                text.Append(piece.Text);

        Assert.Equal(OpenAiStandIn.Text, text.ToString());
        var logged = await fx.OnlyRecordedForKeyEventually(key.Id);
        Assert.Equal(fallback, logged.Model);
        Assert.Equal(GptCost, logged.Cost);
        Assert.False(logged.Estimated);
    }

    [Fact]
    public async Task a_translated_stream_that_broke_after_its_first_bytes_is_not_retried_on_the_fallback()
    {
        // The GPT deployment's stream breaks after three whole content chunks; Claude stands behind it.
        var (primary, _, key) = await FallingBack(await Gpt(Api.Unique("gpt"), provider.Broken.BaseUrl), await Claude());
        var client = fx.ProxyClient();
        client.DefaultRequestHeaders.Add("x-api-key", key.Key);

        var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
        {
            Content = Routing.JsonBody($$"""{"model":"{{primary}}","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Hi"}]}"""),
        }, HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var received = new StringBuilder();
        // The client's stream is cut too, not ended as if complete.
        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            while (await reader.ReadLineAsync().WaitAsync(Patience) is { } line)
                received.AppendLine(line);
        });

        Assert.Contains("part0 ", received.ToString());
        Assert.DoesNotContain("message_stop", received.ToString());
        Assert.Empty(_anthropic.Received);
        var logged = await fx.RecordedEventually(response.RequestId());
        Assert.Equal(primary, logged.Model);
        Assert.Empty(logged.FailedAttempts);
        Assert.True(logged.Estimated);
    }
}
