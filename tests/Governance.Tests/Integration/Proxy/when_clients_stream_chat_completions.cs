using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using ProxyAdapter;

namespace Governance.Tests.Integration.Proxy;

/// <summary>Streamed chat completions: the provider's bytes reach the client as they come, and every stream is charged.</summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_clients_stream_chat_completions(GovernanceFixture fx, FakeProvider provider) : IClassFixture<FakeProvider>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private async Task<(string Model, Api.Issued Key)> Routed(string upstreamModel, decimal cachedPrice = 0.075m)
    {
        var prov = await fx.Provider(provider.BaseUrl);
        var model = await fx.Model([new(prov, upstreamModel)], inputPrice: 0.15m, outputPrice: 0.60m, cachedPrice: cachedPrice);
        return (model, await fx.IssueKey(Api.Unique("app"), model));
    }

    [Fact]
    public async Task the_openai_sdk_streams_every_chunk_and_the_reported_usage_is_charged()
    {
        var (model, key) = await Routed(Api.Unique("gpt"));
        var sdk = new ChatClient(model, new ApiKeyCredential(key.Key), new OpenAIClientOptions
        {
            Endpoint = new Uri("http://proxy.test/v1"),
            Transport = new HttpClientPipelineTransport(fx.ProxyClient()),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });
        const string prompt = "Stream to me, gateway.";

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        await foreach (var update in sdk.CompleteChatStreamingAsync([new UserChatMessage(prompt)]))
        {
            foreach (var part in update.ContentUpdate)
                text.Append(part.Text);
            usage ??= update.Usage;
        }

        Assert.Equal(string.Concat(FakeProvider.StreamedText), text.ToString());
        // The SDK asks for usage itself, so the usage chunk is the client's and reaches it.
        Assert.NotNull(usage);
        Assert.Equal(prompt.Length, usage.InputTokenCount);
        await fx.OnlyRecordedForKeyEventually(key.Id);
        var request = await fx.Api.Get($"/api/keys/{key.Id}/requests").Json();
        var logged = Assert.Single(request.EnumerateArray().ToList());
        Assert.Equal(prompt.Length, logged.GetProperty("inputTokens").GetInt64());
        Assert.Equal(FakeProvider.CachedTokens, logged.GetProperty("cachedTokens").GetInt64());
        Assert.Equal(FakeProvider.StreamedText.Length, logged.GetProperty("outputTokens").GetInt64());
        Assert.Equal(FakeProvider.ReasoningTokens, logged.GetProperty("reasoningTokens").GetInt64());
        Assert.False(logged.GetProperty("estimated").GetBoolean());
        Assert.Equal(((prompt.Length - 3) * 0.15m + 3 * 0.075m + 4 * 0.60m) / 1_000_000m, logged.GetProperty("cost").GetDecimal());
    }

    [Fact]
    public async Task a_client_that_did_not_ask_for_usage_gets_the_provider_bytes_without_the_usage_chunk()
    {
        var upstream = Api.Unique("gpt");
        var (model, key) = await Routed(upstream);
        const string prompt = "No usage for me.";

        var response = await fx.ProxyClient(key.Key).PostAsync("/v1/chat/completions", Routing.JsonBody(Routing.ChatJson(model, prompt, stream: true)));
        var received = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        // Upstream was asked for usage; the client gets every other byte exactly as the provider sent it.
        var forwarded = provider.Requests.Single(r => r.Model == upstream);
        Assert.True(forwarded.Body["stream_options"]!["include_usage"]!.GetValue<bool>());
        var sent = Encoding.UTF8.GetString(provider.SentStreams[upstream]);
        var events = sent.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e + "\n\n").ToList();
        var usageEvent = Assert.Single(events, e => e.Contains("\"choices\":[]"));
        Assert.Equal(string.Concat(events.Where(e => e != usageEvent)), Encoding.UTF8.GetString(received));

        var logged = await fx.Recorded(response.RequestId());
        Assert.NotNull(logged);
        Assert.Equal(prompt.Length, logged.InputTokens);
        Assert.Equal(FakeProvider.StreamedText.Length, logged.OutputTokens);
        Assert.False(logged.Estimated);
        Assert.Equal(200, logged.Status);
    }

    [Fact]
    public async Task each_chunk_reaches_the_client_before_the_provider_sends_the_next()
    {
        var upstream = Api.Unique("gated");
        var (model, key) = await Routed(upstream);
        var gate = provider.GateFor(upstream);

        using var response = await fx.ProxyClient(key.Key).SendAsync(
            new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Routing.JsonBody(Routing.ChatJson(model, "hi", stream: true)) },
            HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        // The provider holds back everything after its first content chunk until released: that chunk must already be here.
        var seen = new StringBuilder();
        while (!seen.ToString().Contains(FakeProvider.StreamedText[0]))
            seen.AppendLine(await reader.ReadLineAsync().WaitAsync(Patience));
        Assert.DoesNotContain(FakeProvider.StreamedText[1], seen.ToString());

        gate.Release();
        var rest = await reader.ReadToEndAsync().WaitAsync(Patience);
        Assert.Contains(FakeProvider.StreamedText[3], rest);
        Assert.EndsWith("data: [DONE]\n\n", rest);
    }

    [Fact]
    public async Task a_client_that_aborts_mid_stream_cancels_the_provider_call_and_is_still_charged()
    {
        var upstream = Api.Unique("gated");
        var (model, key) = await Routed(upstream);
        var gate = provider.GateFor(upstream);
        var prompt = new string('x', 400);

        string requestId;
        using (var response = await fx.ProxyClient(key.Key).SendAsync(
                   new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Routing.JsonBody(Routing.ChatJson(model, prompt, stream: true)) },
                   HttpCompletionOption.ResponseHeadersRead))
        {
            requestId = response.RequestId();
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            while (!(await reader.ReadLineAsync().WaitAsync(Patience))!.Contains(FakeProvider.StreamedText[0]))
            {
            }
        }

        // The caller is gone: the provider's call is cancelled rather than left generating.
        await gate.Cancelled.Task.WaitAsync(Patience);
        var logged = await fx.RecordedEventually(requestId);
        Assert.Equal(Gateway.ClientClosedRequest, logged.Status);
        Assert.True(logged.Estimated);
        // Input estimated from the request body, output from the one chunk of text that was streamed ("Hello"): 4 bytes a token.
        Assert.Equal(Estimate.Tokens(Encoding.UTF8.GetByteCount(Routing.ChatJson(model, prompt, stream: true))), logged.InputTokens);
        Assert.Equal(2, logged.OutputTokens);
        Assert.True(logged.Cost > 0);
    }

    [Fact]
    public async Task a_stream_without_usage_is_estimated_and_marked()
    {
        var upstream = Api.Unique("no-usage");
        var (model, key) = await Routed(upstream);
        var json = Routing.ChatJson(model, "Count my tokens for me, please.", stream: true);

        var response = await fx.ProxyClient(key.Key).PostAsync("/v1/chat/completions", Routing.JsonBody(json));
        var data = Routing.SseData(await response.Content.ReadAsStringAsync());

        Assert.Equal("[DONE]", data[^1]);
        var logged = await fx.Recorded(response.RequestId());
        Assert.NotNull(logged);
        Assert.True(logged.Estimated);
        Assert.Equal(200, logged.Status);
        Assert.Equal(Estimate.Tokens(Encoding.UTF8.GetByteCount(json)), logged.InputTokens);
        // 4 chunks of text, 22 bytes in all: ⌈22/4⌉ = 6 tokens (more than one a chunk).
        Assert.Equal(Estimate.Tokens(string.Concat(FakeProvider.StreamedText).Length), logged.OutputTokens);
        Assert.Equal(6, logged.OutputTokens);
    }

    [Fact]
    public async Task a_stream_request_refused_up_front_gets_openai_error_json_not_a_stream()
    {
        var (model, key) = await Routed(Api.Unique("gpt"));
        await fx.Api.Post($"/api/keys/{key.Id}/revoke", new { reason = "test" }, 200);

        var response = await fx.ProxyClient(key.Key).PostAsync("/v1/chat/completions", Routing.JsonBody(Routing.ChatJson(model, "hi", stream: true)));

        Assert.Equal(401, (int)response.StatusCode);
        Assert.Equal("revoked", (await response.Json()).GetProperty("error").GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(response.RequestId()));
    }
}
