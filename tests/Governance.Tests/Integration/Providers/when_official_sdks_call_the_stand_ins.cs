using Anthropic;
using Anthropic.Models.Messages;
using OpenAI;
using OpenAI.Chat;
using ProxyAdapter.Translation;

namespace Governance.Tests.Integration.Providers;

/// <summary>
/// Official SDKs as the judges of the wire formats: Anthropic's .NET SDK reads the Anthropic stand-in (so the stand-in is
/// faithful), and reads what the translation layer writes for it from an OpenAI-kind deployment (so the Messages encoder is);
/// OpenAI's .NET SDK reads chat answers and streams translated from Claude.
/// </summary>
public sealed class when_official_sdks_call_the_stand_ins : IAsyncLifetime
{
    private const string Key = "sk-standin";
    private readonly AnthropicStandIn _anthropic = new(Key);
    private readonly AzureOpenAiStandIn _azure = new(Key, "prod-gpt-4o");
    private TranslatingRelay _toAzure = null!;
    private TranslatingRelay _toClaude = null!;

    public async Task InitializeAsync()
    {
        await Task.WhenAll(_anthropic.StartAsync(), _azure.StartAsync());
        _toAzure = new TranslatingRelay(new ModelTarget(TargetKinds.AzureOpenAi, "prod-gpt-4o") { AzureApiVersion = "2024-10-21" }, _azure.BaseUrl, Key);
        _toClaude = new TranslatingRelay(new ModelTarget(TargetKinds.Anthropic, "claude-sonnet-4-5"), _anthropic.BaseUrl + "/v1", Key);
        await Task.WhenAll(_toAzure.StartAsync(), _toClaude.StartAsync());
    }

    public async Task DisposeAsync()
    {
        foreach (var standIn in new StandIn[] { _anthropic, _azure, _toAzure, _toClaude })
            await standIn.DisposeAsync();
    }

    private static MessageCreateParams Hi(string model) => new()
    {
        MaxTokens = 64,
        Model = model,
        Messages = [new UserMessageParam { Content = "Hi" }],
    };

    private static AnthropicClient Client(string baseUrl, string key = Key) => new() { ApiKey = key, BaseUrl = baseUrl, MaxRetries = 0 };

    private static async Task<string> StreamedText(AnthropicClient client, MessageCreateParams parameters)
    {
        var text = "";
        await foreach (var e in client.Messages.CreateStreaming(parameters))
            if (e.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var piece))
                text += piece.Text;
        return text;
    }

    [Fact]
    public async Task anthropics_sdk_reads_the_anthropic_stand_ins_message_and_stream()
    {
        var client = Client(_anthropic.BaseUrl);

        var message = await client.Messages.Create(Hi("claude-sonnet-4-5"));

        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal(AnthropicStandIn.Text, text.Text);
        Assert.Equal(12, message.Usage.InputTokens);
        Assert.Equal(AnthropicStandIn.Text, await StreamedText(client, Hi("claude-sonnet-4-5")));
        Assert.NotEmpty(_anthropic.Received.First().Headers["anthropic-version"]);
    }

    [Fact]
    public async Task anthropics_sdk_is_refused_by_the_stand_in_with_a_wrong_key()
    {
        await Assert.ThrowsAnyAsync<Exception>(() => Client(_anthropic.BaseUrl, "wrong").Messages.Create(Hi("claude-sonnet-4-5")));
    }

    [Fact]
    public async Task anthropics_sdk_reads_a_gpt_answer_and_stream_translated_into_messages()
    {
        var client = Client(_toAzure.BaseUrl);

        var message = await client.Messages.Create(Hi("gpt-4o"));

        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal("Hello from Azure.", text.Text);
        Assert.Equal(9, message.Usage.InputTokens);
        Assert.Equal("Hello from Azure.", await StreamedText(client, Hi("gpt-4o")));
    }

    [Fact]
    public async Task openais_sdk_reads_a_claude_answer_and_stream_translated_into_chat_completions()
    {
        var client = new ChatClient("claude-sonnet-4-5", new System.ClientModel.ApiKeyCredential("gateway-key"),
            new OpenAIClientOptions { Endpoint = new Uri(_toClaude.BaseUrl + "/v1") });

        ChatCompletion completion = await client.CompleteChatAsync([new SystemChatMessage("Be brief."), new UserChatMessage("Hi")]);
        var streamed = "";
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Hi")]))
            foreach (var part in update.ContentUpdate)
                streamed += part.Text;

        Assert.Equal(AnthropicStandIn.Text, completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(15, completion.Usage.InputTokenCount);
        Assert.Equal(AnthropicStandIn.Text, streamed);
    }
}
