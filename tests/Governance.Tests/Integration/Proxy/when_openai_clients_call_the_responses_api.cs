using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Responses;
using ProxyAdapter;

// The OpenAI SDK marks its Responses client experimental.
#pragma warning disable OPENAI001

namespace Governance.Tests.Integration.Proxy;

/// <summary>
/// OpenAI's .NET SDK calls <c>/v1/responses</c> for a GPT model: the call is passed through to the provider's Responses API
/// (with <c>store: false</c> and the hold's output cap), its answer and stream come back as the provider sent them, and the
/// usage of the answer or of <c>response.completed</c> is priced, cached and reasoning tokens included.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_openai_clients_call_the_responses_api(GovernanceFixture fx, FakeProvider provider) : IClassFixture<FakeProvider>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private async Task<(string Model, Api.Issued Key, string Upstream)> Routed(string upstreamPrefix = "gpt", object? limits = null, string? exactUpstream = null)
    {
        var upstream = exactUpstream ?? Api.Unique(upstreamPrefix);
        var model = Api.Unique("model");
        var registration = new Dictionary<string, object?>
        {
            ["name"] = model, ["provider"] = await fx.Provider(provider.BaseUrl), ["upstreamModel"] = upstream,
            ["inputPricePer1M"] = 0.15m, ["outputPricePer1M"] = 0.60m, ["cachedInputPricePer1M"] = 0.075m,
        };
        foreach (var property in (limits ?? new { }).GetType().GetProperties())
            registration[property.Name] = property.GetValue(limits);
        await fx.Api.Post("/api/models", registration, 201);
        return (model, await fx.IssueKey(Api.Unique("app"), model), upstream);
    }

    private ResponsesClient Sdk(Api.Issued key) => new(new ApiKeyCredential(key.Key), new ResponsesClientOptions
    {
        Endpoint = new Uri("http://proxy.test/v1"),
        Transport = new HttpClientPipelineTransport(fx.ProxyClient()),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });

    private static decimal Cost(long input, long cached, long output) => ((input - cached) * 0.15m + cached * 0.075m + output * 0.60m) / 1_000_000m;

    [Fact]
    public async Task a_response_is_passed_through_unstored_and_priced_with_its_cached_and_reasoning_tokens()
    {
        var (model, key, upstream) = await Routed(limits: new { maxOutputTokens = 4_000 });
        const string prompt = "Say hello, responses.";

        var response = (await Sdk(key).CreateResponseAsync(model, prompt)).Value;

        Assert.Equal(FakeProvider.AnswerText, response.GetOutputText());
        Assert.Equal(prompt.Length, response.Usage.InputTokenCount);
        var sent = provider.Requests.Single(r => r.Model == upstream);
        Assert.Equal("/v1/responses", sent.Path);
        Assert.StartsWith("Bearer sk-provider-", sent.Headers["authorization"]);
        Assert.DoesNotContain(key.Key, string.Join(" ", sent.Headers.Values) + sent.Body.ToJsonString());
        // Nothing is stored at the provider, and the provider may produce no more than the hold assumed.
        Assert.False(sent.Body["store"]!.GetValue<bool>());
        Assert.Equal(4_000, sent.Body["max_output_tokens"]!.GetValue<long>());
        var logged = await fx.OnlyRecordedForKeyEventually(key.Id);
        Assert.Equal(prompt.Length, logged.InputTokens);
        Assert.Equal(FakeProvider.CachedTokens, logged.CachedTokens);
        Assert.Equal(FakeProvider.CompletionTokens, logged.OutputTokens);
        Assert.Equal(FakeProvider.ReasoningTokens, logged.ReasoningTokens);
        Assert.False(logged.Estimated);
        Assert.Equal(Cost(prompt.Length, FakeProvider.CachedTokens, FakeProvider.CompletionTokens), logged.Cost);
    }

    [Fact]
    public async Task a_streamed_response_reaches_the_sdk_event_by_event_and_response_completed_is_priced()
    {
        var (model, key, _) = await Routed();
        const string prompt = "Stream a response.";

        var text = new StringBuilder();
        ResponseResult? completed = null;
        await using var stream = await Sdk(key).CreateResponseStreamingAsync(model, prompt);
        await foreach (var update in stream)
        {
            if (update is StreamingResponseOutputTextDeltaUpdate delta)
                text.Append(delta.Delta);
            if (update is StreamingResponseCompletedUpdate done)
                completed = done.Response;
        }

        Assert.Equal(string.Concat(FakeProvider.StreamedText), text.ToString());
        Assert.NotNull(completed);
        Assert.Equal(FakeProvider.StreamedText.Length, completed.Usage.OutputTokenCount);
        var logged = await fx.OnlyRecordedForKeyEventually(key.Id);
        Assert.Equal(prompt.Length, logged.InputTokens);
        Assert.Equal(FakeProvider.CachedTokens, logged.CachedTokens);
        Assert.Equal(FakeProvider.StreamedText.Length, logged.OutputTokens);
        Assert.Equal(FakeProvider.ReasoningTokens, logged.ReasoningTokens);
        Assert.False(logged.Estimated);
        Assert.Equal(Cost(prompt.Length, FakeProvider.CachedTokens, FakeProvider.StreamedText.Length), logged.Cost);
    }

    [Fact]
    public async Task the_stream_is_relayed_byte_for_byte()
    {
        var (model, key, upstream) = await Routed();

        var response = await fx.ProxyClient(key.Key).PostAsync("/v1/responses",
            Routing.JsonBody($$"""{"model":"{{model}}","input":"hi","stream":true}"""));
        var received = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Encoding.UTF8.GetString(provider.SentStreams[upstream]), Encoding.UTF8.GetString(received));
        Assert.Contains("event: response.completed", Encoding.UTF8.GetString(received));
    }

    [Fact]
    public async Task a_function_call_round_trips_through_the_sdk()
    {
        var (model, key, _) = await Routed();
        var sdk = Sdk(key);
        var weather = ResponseTool.CreateFunctionTool("get_weather",
            BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""), strictModeEnabled: false,
            functionDescription: "The weather in a city.");
        List<ResponseItem> conversation = [ResponseItem.CreateUserMessageItem("What is the weather in Paris?")];

        var first = new CreateResponseOptions(model, conversation) { Tools = { weather } };
        var asked = (await sdk.CreateResponseAsync(first)).Value;
        var call = Assert.IsType<FunctionCallResponseItem>(Assert.Single(asked.OutputItems));
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal(FakeProvider.ToolArguments, call.FunctionArguments.ToString());

        conversation.Add(call);
        conversation.Add(ResponseItem.CreateFunctionCallOutputItem(call.CallId, "sunny, 21 C"));
        var second = new CreateResponseOptions(model, conversation) { Tools = { weather } };
        var answered = (await sdk.CreateResponseAsync(second)).Value;

        Assert.Equal("Tool said: sunny, 21 C", answered.GetOutputText());
        var logged = await Wait.For(async () => (await fx.Api.Get($"/api/keys/{key.Id}/requests").Json()).EnumerateArray().ToList() is { Count: 2 } two ? two : null,
            "both calls to be logged");
        Assert.All(logged, l => Assert.False(l.GetProperty("estimated").GetBoolean()));
    }

    [Fact]
    public async Task the_providers_error_reaches_the_sdk_in_openais_shape_with_its_status()
    {
        var (model, key, upstream) = await Routed(exactUpstream: "fail-400");

        var failed = await Assert.ThrowsAsync<ClientResultException>(() => Sdk(key).CreateResponseAsync(model, "hi"));

        Assert.Equal(400, failed.Status);
        using var body = JsonDocument.Parse(failed.GetRawResponse()!.Content.ToString());
        Assert.Equal("bad request upstream", body.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(1, provider.CallsTo(upstream));
    }

    [Fact]
    public async Task built_in_tools_stored_files_and_unknown_fields_are_refused_naming_them_before_anything_is_sent()
    {
        var (model, key, upstream) = await Routed();
        var client = fx.ProxyClient(key.Key);

        async Task<(string? Param, string? Code)> Refused(string extra)
        {
            var response = await client.PostAsync("/v1/responses", Routing.JsonBody($$"""{"model":"{{model}}"{{extra}}}"""));
            Assert.Equal(400, (int)response.StatusCode);
            var error = (await response.Json()).GetProperty("error");
            return (error.GetProperty("param").GetString(), error.GetProperty("code").GetString());
        }

        Assert.Equal(("tools[0].type", "unsupported_value"), await Refused(""","input":"hi","tools":[{"type":"web_search"}]"""));
        Assert.Equal(("input[0].content[0].file_id", "stored_state_not_supported"),
            await Refused(""","input":[{"role":"user","content":[{"type":"input_file","file_id":"file-abc"}]}]"""));
        Assert.Equal(("include[0]", "unsupported_value"), await Refused(""","input":"hi","include":["file_search_call.results"]"""));
        Assert.Equal(("input", "missing_required_parameter"), await Refused(""));
        Assert.Equal(("max_output_tokens", "invalid_type"), await Refused(""","input":"hi","max_output_tokens":"12" """));
        Assert.Equal(("frobnicate", "unknown_parameter"), await Refused(""","input":"hi","frobnicate":1"""));
        Assert.Equal(0, provider.CallsTo(upstream));
    }

    [Fact]
    public async Task a_model_outside_the_keys_scope_is_refused_in_openais_shape_and_nothing_is_sent()
    {
        var (model, _, upstream) = await Routed();
        var (_, otherKey, _) = await Routed();

        var refused = await Assert.ThrowsAsync<ClientResultException>(() => Sdk(otherKey).CreateResponseAsync(model, "hi"));

        Assert.Equal(403, refused.Status);
        using var body = JsonDocument.Parse(refused.GetRawResponse()!.Content.ToString());
        Assert.Equal("model_not_allowed", body.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(0, provider.CallsTo(upstream));
    }

    [Fact]
    public async Task more_output_than_the_model_produces_is_refused_naming_max_output_tokens()
    {
        var (model, key, upstream) = await Routed(limits: new { maxOutputTokens = 1_000 });

        var refused = await Assert.ThrowsAsync<ClientResultException>(() =>
            Sdk(key).CreateResponseAsync(new CreateResponseOptions(model, [ResponseItem.CreateUserMessageItem("hi")]) { MaxOutputTokenCount = 1_001 }));

        Assert.Equal(400, refused.Status);
        using var body = JsonDocument.Parse(refused.GetRawResponse()!.Content.ToString());
        Assert.Equal("max_output_tokens", body.RootElement.GetProperty("error").GetProperty("param").GetString());
        Assert.Equal(0, provider.CallsTo(upstream));
    }

    [Fact]
    public async Task a_client_that_leaves_mid_stream_cancels_the_provider_and_is_charged_an_estimate()
    {
        var (model, key, upstream) = await Routed("gated");
        var gate = provider.GateFor(upstream);
        var json = $$"""{"model":"{{model}}","input":"{{new string('x', 400)}}","stream":true}""";

        string requestId;
        using (var response = await fx.ProxyClient(key.Key).SendAsync(
                   new HttpRequestMessage(HttpMethod.Post, "/v1/responses") { Content = Routing.JsonBody(json) }, HttpCompletionOption.ResponseHeadersRead))
        {
            requestId = response.RequestId();
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            while (!(await reader.ReadLineAsync().WaitAsync(Patience))!.Contains("response.output_text.delta"))
            {
            }
        }

        await gate.Cancelled.Task.WaitAsync(Patience);
        var logged = await fx.RecordedEventually(requestId);
        Assert.Equal(Gateway.ClientClosedRequest, logged.Status);
        Assert.True(logged.Estimated);
        Assert.Equal(Estimate.Tokens(Encoding.UTF8.GetByteCount(json)), logged.InputTokens);
        // One delta ("Hello", 5 bytes) was streamed: two tokens at 4 bytes a token.
        Assert.Equal(2, logged.OutputTokens);
        Assert.True(logged.Cost > 0);
    }

    [Fact]
    public async Task an_openai_compatible_server_is_sent_chat_completions_and_its_answer_comes_back_as_a_response()
    {
        var upstream = Api.Unique("llama");
        var model = await fx.Model([new(await fx.Provider(provider.BaseUrl, "openai-compatible"), upstream)]);
        var key = await fx.IssueKey(Api.Unique("app"), model);

        var response = (await Sdk(key).CreateResponseAsync(model, "Hello there")).Value;

        // Such a server may not speak Responses: it gets the call as chat completions, and its answer comes back as a response.
        Assert.Equal(FakeProvider.AnswerText, response.GetOutputText());
        Assert.Equal(model, response.Model);
        var sent = provider.Requests.Single(r => r.Model == upstream);
        Assert.Equal("/v1/chat/completions", sent.Path);
        Assert.Equal("user", sent.Body["messages"]![0]!["role"]!.GetValue<string>());
        var logged = await fx.OnlyRecordedForKeyEventually(key.Id);
        Assert.Equal(FakeProvider.CompletionTokens, logged.OutputTokens);
        Assert.False(logged.Estimated);
    }
}
