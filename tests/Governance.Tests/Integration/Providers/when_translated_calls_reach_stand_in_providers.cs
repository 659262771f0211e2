using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ProxyAdapter.Translation;
using ProxyAdapter.Translation.Bedrock;
using static Governance.Tests.Translation.Harness;

namespace Governance.Tests.Integration.Providers;

/// <summary>
/// The translation layer against stand-ins that speak each provider's documented wire format over real HTTP: the translated
/// call is what the provider accepts (paths, headers, signature, body), and its answers, streams and errors come back in
/// OpenAI's (or Anthropic's) shape. This is the wiring phase 2 puts in the gateway's pipeline, done by hand.
/// </summary>
public sealed class when_translated_calls_reach_stand_in_providers : IAsyncLifetime
{
    private const string Key = "sk-standin";
    private static readonly AwsCredentials Aws = new("AKIDSTANDIN", "secret/standin+key", "session-token");
    private readonly AnthropicStandIn _anthropic = new(Key);
    private readonly GeminiStandIn _gemini = new(Key);
    private readonly BedrockStandIn _bedrock = new(Aws, "eu-central-1");
    private readonly AzureOpenAiStandIn _azure = new(Key, "prod-gpt-4o");
    private readonly HttpClient _http = new();

    public async Task InitializeAsync() =>
        await Task.WhenAll(_anthropic.StartAsync(), _gemini.StartAsync(), _bedrock.StartAsync(), _azure.StartAsync());

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _anthropic.DisposeAsync();
        await _gemini.DisposeAsync();
        await _bedrock.DisposeAsync();
        await _azure.DisposeAsync();
    }

    private const string Chat = """{"model":"any","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]}""";
    private const string StreamedChat = """{"model":"any","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}]}""";

    /// <summary>Sends a translated call as the pipeline will: base URL + path, the kind's credential (or SigV4 signature), the body's bytes.</summary>
    private async Task<HttpResponseMessage> Send(UpstreamCall call, string baseUrl, string key = Key, AwsCredentials? aws = null)
    {
        var bytes = Encoding.UTF8.GetBytes(call.Body.ToJsonString());
        var request = new HttpRequestMessage(HttpMethod.Post, baseUrl + call.Path) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (name, value) in call.Headers)
            request.Headers.Add(name, value);
        if (call.Target.Kind == TargetKinds.Bedrock)
        {
            request.Headers.Host = BedrockAuth.Host(call.Target.AwsRegion!);
            foreach (var (name, value) in BedrockAuth.Sign(call.Path, bytes, aws ?? Aws, call.Target.AwsRegion!, DateTimeOffset.UtcNow))
                request.Headers.TryAddWithoutValidation(name, value);
        }
        else
        {
            var (name, value) = ProviderAuth.Header(call.Target.Kind, key);
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private static async Task<JsonObject> Answer(UpstreamCall call, HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Governance.Tests.Translation.Harness.Answer(call, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Reads the provider's stream as it arrives, read by read, into the translator.</summary>
    private static async Task<(string Text, IStreamTranslator Translator)> Relay(UpstreamCall call, HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var translator = Translator.Stream(call, Stamp);
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        var pending = new List<byte>();
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[37];
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            pending.AddRange(buffer.AsSpan(0, read).ToArray());
            int length;
            while (pending.Count > 0 && (length = translator.UnitLength(pending.ToArray())) > 0)
            {
                translator.Feed(pending.GetRange(0, length).ToArray(), output);
                pending.RemoveRange(0, length);
            }
        }
        translator.Complete(output);
        return (Encoding.UTF8.GetString(output.WrittenSpan), translator);
    }

    private static string Content(string sse) => string.Concat(Events(sse).Select(e => (string?)e.Data?["choices"]?.AsArray().FirstOrDefault()?["delta"]?["content"]));

    [Fact]
    public async Task a_chat_request_is_answered_by_claude_in_openais_shape()
    {
        var call = Translate(ClientApi.ChatCompletions, Chat, new ModelTarget(TargetKinds.Anthropic, "claude-sonnet-4-5"));

        var answer = await Answer(call, await Send(call, _anthropic.BaseUrl + "/v1"));

        Assert.Equal(AnthropicStandIn.Text, (string)answer["choices"]![0]!["message"]!["content"]!);
        Assert.Equal(15, (int)answer["usage"]!["prompt_tokens"]!);
        var received = Assert.Single(_anthropic.Received);
        Assert.Equal("2023-06-01", received.Headers["anthropic-version"]);
        Assert.Equal("Be brief.", (string)JsonNode.Parse(received.Body)!["system"]![0]!["text"]!);
    }

    [Fact]
    public async Task a_streamed_chat_request_to_claude_arrives_as_chunks_with_usage_and_done()
    {
        var call = Translate(ClientApi.ChatCompletions, StreamedChat, new ModelTarget(TargetKinds.Anthropic, "claude-sonnet-4-5"));

        var (text, translator) = await Relay(call, await Send(call, _anthropic.BaseUrl + "/v1"));

        Assert.Equal(AnthropicStandIn.Text, Content(text));
        Assert.EndsWith("data: [DONE]\n\n", text, StringComparison.Ordinal);
        Assert.Equal(ProviderUsage.FromUncached(12, 3, 0, 6), translator.Usage);
    }

    [Fact]
    public async Task claudes_error_mid_stream_reaches_the_client_as_an_openai_error_without_done()
    {
        var call = Translate(ClientApi.ChatCompletions, StreamedChat, new ModelTarget(TargetKinds.Anthropic, "error-mid-stream"));

        var (text, translator) = await Relay(call, await Send(call, _anthropic.BaseUrl + "/v1"));

        Assert.True(translator.Failed);
        Assert.Equal("Overloaded", (string)Events(text)[^1].Data!["error"]!["message"]!);
        Assert.DoesNotContain("[DONE]", text);
    }

    [Theory]
    [InlineData("claude-sonnet-4-5", "wrong-key", 401, "invalid_request_error")]
    [InlineData("overloaded", Key, 503, "api_error")]
    public async Task claudes_http_errors_come_back_in_openais_shape(string model, string key, int status, string type)
    {
        var call = Translate(ClientApi.ChatCompletions, Chat, new ModelTarget(TargetKinds.Anthropic, model));
        var response = await Send(call, _anthropic.BaseUrl + "/v1", key);

        var (translated, body) = Translator.Error(call, (int)response.StatusCode, await response.Content.ReadAsByteArrayAsync());

        Assert.Equal(status, translated);
        Assert.Equal(type, (string)JsonNode.Parse(body)!["error"]!["type"]!);
    }

    [Fact]
    public async Task a_chat_request_is_answered_by_gemini_plain_and_streamed_over_crlf_separated_events()
    {
        var target = new ModelTarget(TargetKinds.Gemini, "gemini-2.5-flash");
        var call = Translate(ClientApi.ChatCompletions, Chat, target);
        var answer = await Answer(call, await Send(call, _gemini.BaseUrl + "/v1beta"));
        Assert.Equal("Hello from Gemini.", (string)answer["choices"]![0]!["message"]!["content"]!);
        Assert.Equal(4, (int)answer["usage"]!["completion_tokens_details"]!["reasoning_tokens"]!);

        var streamed = Translate(ClientApi.ChatCompletions, StreamedChat, target);
        var (text, translator) = await Relay(streamed, await Send(streamed, _gemini.BaseUrl + "/v1beta"));

        Assert.Equal("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", _gemini.Received.Last().Target);
        Assert.Equal("Hello from Gemini.", Content(text));
        Assert.Equal(20, (int)Events(text)[^2].Data!["usage"]!["total_tokens"]!);
        Assert.True(translator.Finished);
    }

    [Fact]
    public async Task a_forced_tool_call_comes_back_from_gemini_as_an_openai_tool_call()
    {
        var call = Translate(ClientApi.ChatCompletions, """
            {"model":"any","messages":[{"role":"user","content":"Paris?"}],"tool_choice":"required",
             "tools":[{"type":"function","function":{"name":"weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}
            """, new ModelTarget(TargetKinds.Gemini, "gemini-2.5-flash"));

        var answer = await Answer(call, await Send(call, _gemini.BaseUrl + "/v1beta"));

        Assert.Equal("tool_calls", (string)answer["choices"]![0]!["finish_reason"]!);
        Assert.Equal("""{"city":"Paris"}""", (string)answer["choices"]![0]!["message"]!["tool_calls"]![0]!["function"]!["arguments"]!);
    }

    [Fact]
    public async Task a_bad_gemini_key_is_an_openai_error_with_googles_status_code()
    {
        var call = Translate(ClientApi.ChatCompletions, Chat, new ModelTarget(TargetKinds.Gemini, "gemini-2.5-flash"));
        var response = await Send(call, _gemini.BaseUrl + "/v1beta", "wrong");

        var (status, body) = Translator.Error(call, (int)response.StatusCode, await response.Content.ReadAsByteArrayAsync());

        Assert.Equal(400, status);
        Assert.Equal("INVALID_ARGUMENT", (string)JsonNode.Parse(body)!["error"]!["code"]!);
    }

    [Fact]
    public async Task a_signed_converse_call_is_accepted_and_answered_in_openais_shape()
    {
        var call = Translate(ClientApi.ChatCompletions, Chat, new ModelTarget(TargetKinds.Bedrock, "anthropic.claude-3-5-sonnet-20240620-v1:0") { AwsRegion = "eu-central-1" });

        var answer = await Answer(call, await Send(call, _bedrock.BaseUrl));

        Assert.Equal("Hello from Bedrock.", (string)answer["choices"]![0]!["message"]!["content"]!);
        Assert.Equal("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse", _bedrock.Received.Single().Target);
    }

    [Fact]
    public async Task a_converse_call_signed_with_the_wrong_secret_is_refused_and_reported_as_a_403()
    {
        var call = Translate(ClientApi.ChatCompletions, Chat, new ModelTarget(TargetKinds.Bedrock, "m") { AwsRegion = "eu-central-1" });
        var response = await Send(call, _bedrock.BaseUrl, aws: Aws with { SecretAccessKey = "not-the-secret" });

        var (status, body) = Translator.Error(call, (int)response.StatusCode, await response.Content.ReadAsByteArrayAsync());

        Assert.Equal(403, status);
        Assert.StartsWith("The request signature we calculated does not match", (string)JsonNode.Parse(body)!["error"]!["message"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_converse_stream_read_in_odd_sized_pieces_arrives_as_chunks_with_the_usage_sent_after_the_stop()
    {
        var call = Translate(ClientApi.ChatCompletions, StreamedChat, new ModelTarget(TargetKinds.Bedrock, "m") { AwsRegion = "eu-central-1" });

        var (text, translator) = await Relay(call, await Send(call, _bedrock.BaseUrl));

        Assert.Equal("Hello from Bedrock.", Content(text));
        Assert.Equal(15, (int)Events(text)[^2].Data!["usage"]!["total_tokens"]!);
        Assert.True(translator.Finished);
    }

    [Fact]
    public async Task a_throttling_exception_mid_stream_becomes_a_429_shaped_openai_error()
    {
        var call = Translate(ClientApi.ChatCompletions, StreamedChat, new ModelTarget(TargetKinds.Bedrock, "throttled-mid-stream") { AwsRegion = "eu-central-1" });

        var (text, translator) = await Relay(call, await Send(call, _bedrock.BaseUrl));

        Assert.True(translator.Failed);
        Assert.Equal("rate_limit_exceeded", (string)Events(text)[^1].Data!["error"]!["type"]!);
    }

    [Fact]
    public async Task an_anthropic_sdk_request_reaches_an_azure_deployment_and_streams_back_as_anthropic_events()
    {
        var target = new ModelTarget(TargetKinds.AzureOpenAi, "prod-gpt-4o") { AzureApiVersion = "2024-10-21" };
        var call = Translate(ClientApi.Messages, """{"model":"gpt-4o","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Hi"}]}""", target);

        var (text, translator) = await Relay(call, await Send(call, _azure.BaseUrl));

        var received = _azure.Received.Single();
        Assert.Equal("/openai/deployments/prod-gpt-4o/chat/completions?api-version=2024-10-21", received.Target);
        Assert.Equal(Key, received.Headers["api-key"]);
        var events = Events(text);
        Assert.Equal("message_start", events[0].Event);
        Assert.Equal("Hello from Azure.", string.Concat(events.Select(e => (string?)e.Data?["delta"]?["text"])));
        Assert.Equal(9, (int)events[^2].Data!["usage"]!["input_tokens"]!);
        Assert.Equal("message_stop", events[^1].Event);
        Assert.True(translator.Finished);
    }

    [Fact]
    public async Task a_responses_request_reaches_azures_v1_api_and_a_wrong_deployment_is_a_404()
    {
        var good = Translate(ClientApi.Responses, """{"model":"x","input":"Hi"}""", new ModelTarget(TargetKinds.OpenAiCompatible, "prod-gpt-4o"));
        var response = await Send(good with { Target = new ModelTarget(TargetKinds.AzureOpenAi, "prod-gpt-4o"), Path = "/openai/v1/chat/completions" }, _azure.BaseUrl);
        var answer = await Answer(good, response);
        Assert.Equal("Hello from Azure.", (string)answer["output"]![0]!["content"]![0]!["text"]!);

        var bad = Translate(ClientApi.ChatCompletions, Chat, new ModelTarget(TargetKinds.AzureOpenAi, "nope") { AzureApiVersion = "2024-10-21" });
        var missing = await Send(bad, _azure.BaseUrl);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("DeploymentNotFound", (string)JsonNode.Parse(await missing.Content.ReadAsStringAsync())!["error"]!["code"]!);
    }
}
