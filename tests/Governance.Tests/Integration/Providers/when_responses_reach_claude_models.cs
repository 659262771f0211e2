using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using Governance.Tests.Integration.Proxy;
using OpenAI;
using OpenAI.Responses;

// The OpenAI SDK marks its Responses client experimental.
#pragma warning disable OPENAI001

namespace Governance.Tests.Integration.Providers;

/// <summary>
/// OpenAI's .NET SDK calls <c>/v1/responses</c> for a Claude model: the call is translated through the chat form to the
/// Anthropic stand-in's Messages API, and the answer (or the stream, as Responses events) back; governed and priced from
/// Anthropic's usage like a native call.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_responses_reach_claude_models(GovernanceFixture fx) : IAsyncLifetime
{
    private readonly AnthropicStandIn _anthropic = new(StandInKey);
    private const string StandInKey = "sk-anthropic-standin";

    // The stand-in reports 12 uncached + 3 cache-read input tokens and 6 output tokens.
    private const decimal StandInCost = (12 * 3m + 3 * 0.3m + 6 * 15m) / 1_000_000m;

    public Task InitializeAsync() => _anthropic.StartAsync();

    public async Task DisposeAsync() => await _anthropic.DisposeAsync();

    private Task<(string Model, Api.Issued Key)> Claude(string upstreamModel = "claude-sonnet-4-5") =>
        _anthropic.ClaudeModelAsync(fx, upstreamModel);

    private ResponsesClient Sdk(Api.Issued key) => new(new ApiKeyCredential(key.Key), new ResponsesClientOptions
    {
        Endpoint = new Uri("http://proxy.test/v1"),
        Transport = new HttpClientPipelineTransport(fx.ProxyClient()),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });

    [Fact]
    public async Task a_response_is_answered_by_claude_and_priced_from_anthropics_usage()
    {
        var (model, key) = await Claude();

        var response = (await Sdk(key).CreateResponseAsync(new CreateResponseOptions(model, [ResponseItem.CreateUserMessageItem("Hi")])
        {
            Instructions = "Be brief.",
        })).Value;

        Assert.Equal(AnthropicStandIn.Text, response.GetOutputText());
        Assert.Equal(ResponseStatus.Completed, response.Status);
        Assert.Equal(15, response.Usage.InputTokenCount);
        Assert.Equal(3, response.Usage.InputTokenDetails.CachedTokenCount);
        Assert.Equal(model, response.Model);
        var sent = _anthropic.Received.Last();
        Assert.Equal("/v1/messages", sent.Target);
        Assert.Equal(StandInKey, sent.Headers["x-api-key"]);
        var body = JsonDocument.Parse(sent.Body).RootElement;
        Assert.Equal("Be brief.", body.GetProperty("system")[0].GetProperty("text").GetString());
        Assert.True(body.GetProperty("max_tokens").GetInt64() > 0);
        var logged = await fx.OnlyRecordedForKeyEventually(key.Id);
        Assert.Equal(15, logged.InputTokens);
        Assert.Equal(3, logged.CachedTokens);
        Assert.Equal(6, logged.OutputTokens);
        Assert.False(logged.Estimated);
        Assert.Equal(StandInCost, logged.Cost);
    }

    [Fact]
    public async Task a_streamed_response_is_translated_into_responses_events_and_priced()
    {
        var (model, key) = await Claude();

        var text = new StringBuilder();
        ResponseResult? completed = null;
        await using var stream = await Sdk(key).CreateResponseStreamingAsync(model, "Hi");
        await foreach (var update in stream)
        {
            if (update is StreamingResponseOutputTextDeltaUpdate delta)
                text.Append(delta.Delta);
            if (update is StreamingResponseCompletedUpdate done)
                completed = done.Response;
        }

        Assert.Equal(AnthropicStandIn.Text, text.ToString());
        Assert.NotNull(completed);
        Assert.Equal(6, completed.Usage.OutputTokenCount);
        var logged = await fx.OnlyRecordedForKeyEventually(key.Id);
        Assert.Equal(15, logged.InputTokens);
        Assert.Equal(6, logged.OutputTokens);
        Assert.False(logged.Estimated);
        Assert.Equal(StandInCost, logged.Cost);
    }

    [Fact]
    public async Task a_function_call_round_trips_through_claude()
    {
        var (model, key) = await Claude();
        var sdk = Sdk(key);
        var weather = ResponseTool.CreateFunctionTool("get_weather",
            BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""), strictModeEnabled: false);
        List<ResponseItem> conversation = [ResponseItem.CreateUserMessageItem("Weather in Paris?")];

        var asked = (await sdk.CreateResponseAsync(new CreateResponseOptions(model, conversation)
        {
            Tools = { weather }, ToolChoice = ResponseToolChoice.CreateRequiredChoice(),
        })).Value;
        var call = Assert.IsType<FunctionCallResponseItem>(Assert.Single(asked.OutputItems));
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("Paris", JsonDocument.Parse(call.FunctionArguments).RootElement.GetProperty("city").GetString());

        conversation.Add(call);
        conversation.Add(ResponseItem.CreateFunctionCallOutputItem(call.CallId, "sunny"));
        var answered = (await sdk.CreateResponseAsync(new CreateResponseOptions(model, conversation) { Tools = { weather } })).Value;

        Assert.Equal(AnthropicStandIn.Text, answered.GetOutputText());
        // Claude got the call and its result as tool_use and tool_result blocks.
        var second = JsonDocument.Parse(_anthropic.Received.Last().Body).RootElement.GetProperty("messages");
        Assert.Equal("tool_use", second[1].GetProperty("content")[0].GetProperty("type").GetString());
        Assert.Equal("tool_result", second[2].GetProperty("content")[0].GetProperty("type").GetString());
    }

    [Fact]
    public async Task a_parameter_claude_cannot_take_is_refused_not_supported_naming_it_before_anything_is_sent()
    {
        var (model, key) = await Claude();

        var refused = await Assert.ThrowsAsync<ClientResultException>(() => Sdk(key).CreateResponseAsync(
            new CreateResponseOptions(model, [ResponseItem.CreateUserMessageItem("Hi")]) { TopLogProbabilityCount = 3 }));

        Assert.Equal(400, refused.Status);
        var error = JsonDocument.Parse(refused.GetRawResponse()!.Content.ToString()).RootElement.GetProperty("error");
        Assert.Equal("top_logprobs", error.GetProperty("param").GetString());
        Assert.Equal("unsupported_parameter", error.GetProperty("code").GetString());
        Assert.Empty(_anthropic.Received);
    }

    [Fact]
    public async Task anthropics_overloaded_error_comes_back_in_openais_shape_as_a_503()
    {
        var (model, key) = await Claude("overloaded");

        var failed = await Assert.ThrowsAsync<ClientResultException>(() => Sdk(key).CreateResponseAsync(model, "Hi"));

        Assert.Equal(503, failed.Status);
        var error = JsonDocument.Parse(failed.GetRawResponse()!.Content.ToString()).RootElement.GetProperty("error");
        Assert.Equal("Overloaded", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task an_error_mid_stream_becomes_an_error_event_and_response_failed()
    {
        var (model, key) = await Claude("error-mid-stream");

        var response = await fx.ProxyClient(key.Key).PostAsync("/v1/responses", Routing.JsonBody($$"""{"model":"{{model}}","input":"Hi","stream":true}"""));
        var events = await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Contains("event: response.output_text.delta", events);
        Assert.Contains("event: error", events);
        Assert.Contains("event: response.failed", events);
        Assert.DoesNotContain("event: response.completed", events);
    }
}
