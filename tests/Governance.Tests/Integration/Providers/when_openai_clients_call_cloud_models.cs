using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using Governance.Tests.Integration.Proxy;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;
using ProxyAdapter.Translation.Bedrock;

namespace Governance.Tests.Integration.Providers;

/// <summary>
/// OpenAI's .NET SDK calls models of the cloud provider kinds through the proxy's <c>/v1/chat/completions</c> (and
/// <c>/v1/embeddings</c>): Gemini and Bedrock translated to their own APIs and back, Azure OpenAI passed through at Azure's
/// addresses with its <c>api-key</c> header. Each is priced from the provider's own usage, and its errors come back in
/// OpenAI's shape; 429s fail over to the next deployment.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_openai_clients_call_cloud_models(GovernanceFixture fx) : IAsyncLifetime
{
    private const string GeminiKey = "AIzaSy-gemini-standin-key-0000000000000";
    private const string AzureKey = "0123456789abcdef0123456789abcdef";
    private const string Region = "eu-central-1";
    private static readonly AwsCredentials Aws = new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "session-token-standin");
    private readonly GeminiStandIn _gemini = new(GeminiKey);
    private readonly BedrockStandIn _bedrock = new(Aws, Region);
    private readonly AzureOpenAiStandIn _azure = new(AzureKey, "prod-gpt-4o");

    public Task InitializeAsync() => Task.WhenAll(_gemini.StartAsync(), _bedrock.StartAsync(), _azure.StartAsync());

    public async Task DisposeAsync()
    {
        await _gemini.DisposeAsync();
        await _bedrock.DisposeAsync();
        await _azure.DisposeAsync();
    }

    private async Task<string> Register(object provider)
    {
        await fx.Api.Post("/api/providers", provider, 201);
        return (string)provider.GetType().GetProperty("name")!.GetValue(provider)!;
    }

    private Task<string> Gemini() => Register(new { name = Api.Unique("gemini"), kind = "gemini", baseUrl = _gemini.BaseUrl + "/v1beta", apiKey = GeminiKey });

    private Task<string> Bedrock() => Register(new
    {
        name = Api.Unique("bedrock"), kind = "bedrock", baseUrl = _bedrock.BaseUrl, region = Region,
        aws = new { accessKeyId = Aws.AccessKeyId, secretAccessKey = Aws.SecretAccessKey, sessionToken = Aws.SessionToken },
    });

    private Task<string> Azure(string? apiVersion) => Register(new { name = Api.Unique("azure"), kind = "azure-openai", baseUrl = _azure.BaseUrl, apiKey = AzureKey, apiVersion });

    private async Task<(string Model, Api.Issued Key)> Model(string provider, params string[] upstream)
    {
        // The first deployment is tried first: the others are standbys (weight 0).
        var model = await fx.Model(upstream.Select((u, i) => new Routing.Upstream(provider, u, i == 0 ? 1 : 0)).ToArray(),
            inputPrice: 0.30m, outputPrice: 2.50m, cachedPrice: 0.03m);
        return (model, await fx.IssueKey(Api.Unique("app"), model));
    }

    private OpenAIClientOptions Options() => new()
    {
        Endpoint = new Uri("http://proxy.test/v1"),
        Transport = new HttpClientPipelineTransport(fx.ProxyClient()),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    };

    private ChatClient Sdk(string model, Api.Issued key) => new(model, new ApiKeyCredential(key.Key), Options());

    private static decimal Cost(long input, long cached, long output) => ((input - cached) * 0.30m + cached * 0.03m + output * 2.50m) / 1_000_000m;

    private static ChatCompletionOptions ForcedWeatherTool() => new()
    {
        Tools = { ChatTool.CreateFunctionTool("get_weather", "The weather in a city", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""")) },
        ToolChoice = ChatToolChoice.CreateFunctionChoice("get_weather"),
    };

    private async Task<(string Text, ChatFinishReason? Finish, ChatTokenUsage? Usage)> Stream(string model, Api.Issued key)
    {
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
        return (text.ToString(), finish, usage);
    }

    [Fact]
    public async Task a_gemini_model_answers_a_chat_completion_priced_with_its_cached_and_thinking_tokens()
    {
        var (model, key) = await Model(await Gemini(), "gemini-2.5-flash-cached");

        var completion = (await Sdk(model, key).CompleteChatAsync([new SystemChatMessage("Be brief."), new UserChatMessage("Hi")])).Value;

        Assert.Equal("Hello from Gemini.", completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(model, completion.Model);
        var sent = _gemini.Received.Last();
        Assert.Equal("/v1beta/models/gemini-2.5-flash-cached:generateContent", sent.Target);
        Assert.Equal(GeminiKey, sent.Headers["x-goog-api-key"]);
        Assert.False(sent.Headers.ContainsKey("authorization"));
        Assert.DoesNotContain(key.Key, string.Join(" ", sent.Headers.Values) + Encoding.UTF8.GetString(sent.Body));
        // 11 prompt tokens (3 of them cached), 5 answer and 4 thinking tokens: thinking is output, billed as such.
        var logged = Assert.Single((await fx.Api.Get($"/api/keys/{key.Id}/requests").Json()).EnumerateArray().ToList());
        Assert.Equal(11, logged.GetProperty("inputTokens").GetInt64());
        Assert.Equal(3, logged.GetProperty("cachedTokens").GetInt64());
        Assert.Equal(9, logged.GetProperty("outputTokens").GetInt64());
        Assert.False(logged.GetProperty("estimated").GetBoolean());
        Assert.Equal(Cost(11, 3, 9), logged.GetProperty("cost").GetDecimal());
    }

    [Fact]
    public async Task a_streamed_gemini_answer_arrives_as_chunks_over_alt_sse_and_is_priced()
    {
        var (model, key) = await Model(await Gemini(), "gemini-2.5-flash");

        var (text, finish, usage) = await Stream(model, key);

        Assert.Equal("Hello from Gemini.", text);
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(9, usage.OutputTokenCount);
        Assert.Equal(4, usage.OutputTokenDetails.ReasoningTokenCount);
        Assert.Equal("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", _gemini.Received.Last().Target);
        var logged = await fx.OnlyRecordedForKeyEventually(key.Id);
        Assert.Equal(11, logged.InputTokens);
        Assert.Equal(9, logged.OutputTokens);
        Assert.False(logged.Estimated);
        Assert.Equal(Cost(11, 0, 9), logged.Cost);
    }

    [Fact]
    public async Task a_forced_tool_call_comes_back_from_gemini_and_bedrock_as_an_openai_tool_call()
    {
        foreach (var provider in new[] { await Gemini(), await Bedrock() })
        {
            var (model, key) = await Model(provider, "tool-model");

            var completion = (await Sdk(model, key).CompleteChatAsync([new UserChatMessage("Weather in Paris?")], ForcedWeatherTool())).Value;

            Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
            var call = Assert.Single(completion.ToolCalls);
            Assert.Equal("get_weather", call.FunctionName);
            Assert.Equal("Paris", JsonDocument.Parse(call.FunctionArguments).RootElement.GetProperty("city").GetString());
        }
    }

    [Fact]
    public async Task a_gemini_error_mid_stream_reaches_the_client_as_an_openai_error_without_done()
    {
        var (model, key) = await Model(await Gemini(), "fails-mid-stream");

        var response = await fx.ProxyClient(key.Key).PostAsync("/v1/chat/completions", Routing.JsonBody(Routing.ChatJson(model, "Hi", stream: true)));

        Assert.Equal(200, (int)response.StatusCode);
        var events = await response.Content.ReadAsStringAsync();
        Assert.Contains("Hello from ", events);
        Assert.Contains("\"error\"", events);
        Assert.Contains("An internal error has occurred.", events);
        Assert.DoesNotContain("[DONE]", events);
    }

    [Fact]
    public async Task a_gemini_429_fails_over_to_the_next_deployment_and_when_all_are_exhausted_the_client_gets_openais_429()
    {
        var provider = await Gemini();
        var (model, key) = await Model(provider, "exhausted", "gemini-2.5-flash");

        var completion = (await Sdk(model, key).CompleteChatAsync([new UserChatMessage("Hi")])).Value;

        Assert.Equal("Hello from Gemini.", completion.Content[0].Text);
        Assert.Equal(["/v1beta/models/exhausted:generateContent", "/v1beta/models/gemini-2.5-flash:generateContent"],
            _gemini.Received.TakeLast(2).Select(c => c.Target));

        var (onlyExhausted, key2) = await Model(provider, "exhausted");
        var refused = await Assert.ThrowsAsync<ClientResultException>(() => Sdk(onlyExhausted, key2).CompleteChatAsync([new UserChatMessage("Hi")]));
        Assert.Equal(429, refused.Status);
        using var answer = JsonDocument.Parse(refused.GetRawResponse()!.Content.ToString());
        Assert.Contains("exhausted", answer.RootElement.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task a_bedrock_model_answers_a_signed_converse_call_priced_with_cache_reads_and_writes()
    {
        var (model, key) = await Model(await Bedrock(), "anthropic.claude-cache-v1:0");

        var completion = (await Sdk(model, key).CompleteChatAsync([new SystemChatMessage("Be brief."), new UserChatMessage("Hi")])).Value;

        Assert.Equal("Hello from Bedrock.", completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        var sent = _bedrock.Received.Last();
        // The stand-in recomputed the SigV4 signature over the path, headers and body: it answered, so it matched.
        Assert.Equal("/model/anthropic.claude-cache-v1%3A0/converse", sent.Target);
        Assert.StartsWith("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/", sent.Headers["authorization"]);
        Assert.Equal(Aws.SessionToken, sent.Headers["x-amz-security-token"]);
        Assert.DoesNotContain(Aws.SecretAccessKey, string.Join(" ", sent.Headers.Values) + Encoding.UTF8.GetString(sent.Body));
        // 10 fresh + 2 cache-read + 4 cache-write input tokens, 5 output; cache writes cost the input price.
        var logged = Assert.Single((await fx.Api.Get($"/api/keys/{key.Id}/requests").Json()).EnumerateArray().ToList());
        Assert.Equal(16, logged.GetProperty("inputTokens").GetInt64());
        Assert.Equal(2, logged.GetProperty("cachedTokens").GetInt64());
        Assert.Equal(5, logged.GetProperty("outputTokens").GetInt64());
        Assert.Equal(Cost(16, 2, 5), logged.GetProperty("cost").GetDecimal());
    }

    [Fact]
    public async Task a_streamed_bedrock_answer_is_decoded_from_event_stream_frames_into_chunks()
    {
        var (model, key) = await Model(await Bedrock(), "amazon.nova-pro-v1:0");

        var (text, finish, usage) = await Stream(model, key);

        Assert.Equal("Hello from Bedrock.", text);
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(5, usage.OutputTokenCount);
        Assert.Equal("/model/amazon.nova-pro-v1%3A0/converse-stream", _bedrock.Received.Last().Target);
        var logged = await fx.OnlyRecordedForKeyEventually(key.Id);
        Assert.Equal(10, logged.InputTokens);
        Assert.Equal(5, logged.OutputTokens);
        Assert.False(logged.Estimated);
    }

    [Fact]
    public async Task a_bedrock_throttling_exception_mid_stream_ends_the_clients_stream_with_an_error_and_a_429_fails_over()
    {
        var provider = await Bedrock();
        var (midStream, key) = await Model(provider, "throttled-mid-stream");

        var response = await fx.ProxyClient(key.Key).PostAsync("/v1/chat/completions", Routing.JsonBody(Routing.ChatJson(midStream, "Hi", stream: true)));

        var events = await response.Content.ReadAsStringAsync();
        Assert.Contains("Hello from ", events);
        Assert.Contains("Too many requests", events);
        Assert.DoesNotContain("[DONE]", events);

        var (failingOver, key2) = await Model(provider, "throttled", "amazon.nova-lite-v1:0");
        var completion = (await Sdk(failingOver, key2).CompleteChatAsync([new UserChatMessage("Hi")])).Value;
        Assert.Equal("Hello from Bedrock.", completion.Content[0].Text);
        Assert.Equal(["/model/throttled/converse", "/model/amazon.nova-lite-v1%3A0/converse"], _bedrock.Received.TakeLast(2).Select(c => c.Target));
    }

    [Fact]
    public async Task an_azure_deployment_is_called_at_its_deployment_address_with_the_api_version_and_api_key()
    {
        var (model, key) = await Model(await Azure("2024-10-21"), "prod-gpt-4o");

        var completion = (await Sdk(model, key).CompleteChatAsync([new UserChatMessage("Hi")])).Value;

        Assert.Equal("Hello from Azure.", completion.Content[0].Text);
        var sent = _azure.Received.Last();
        Assert.Equal("/openai/deployments/prod-gpt-4o/chat/completions?api-version=2024-10-21", sent.Target);
        Assert.Equal(AzureKey, sent.Headers["api-key"]);
        Assert.False(sent.Headers.ContainsKey("authorization"));
        var logged = Assert.Single((await fx.Api.Get($"/api/keys/{key.Id}/requests").Json()).EnumerateArray().ToList());
        Assert.Equal(9, logged.GetProperty("inputTokens").GetInt64());
        Assert.Equal(4, logged.GetProperty("outputTokens").GetInt64());
        Assert.Equal(Cost(9, 0, 4), logged.GetProperty("cost").GetDecimal());
    }

    [Fact]
    public async Task azures_v1_api_streams_past_its_prompt_filter_chunk_and_a_429_fails_over()
    {
        var (model, key) = await Model(await Azure(null), "throttled", "prod-gpt-4o");

        var (text, finish, usage) = await Stream(model, key);

        Assert.Equal("Hello from Azure.", text);
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(["/openai/v1/chat/completions", "/openai/v1/chat/completions"], _azure.Received.TakeLast(2).Select(c => c.Target));
        Assert.Equal("prod-gpt-4o", JsonDocument.Parse(_azure.Received.Last().Body).RootElement.GetProperty("model").GetString());
        var logged = await fx.OnlyRecordedForKeyEventually(key.Id);
        Assert.Equal(4, logged.OutputTokens);
        Assert.False(logged.Estimated);
    }

    [Fact]
    public async Task embeddings_reach_an_azure_deployment_and_are_priced_by_their_input()
    {
        var (model, key) = await Model(await Azure("2024-10-21"), "prod-gpt-4o");

        var embedding = (await new EmbeddingClient(model, new ApiKeyCredential(key.Key), Options()).GenerateEmbeddingAsync("Hello")).Value;

        Assert.Equal([0.25f, -0.5f], embedding.ToFloats().ToArray());
        Assert.Equal("/openai/deployments/prod-gpt-4o/embeddings?api-version=2024-10-21", _azure.Received.Last().Target);
        var logged = Assert.Single((await fx.Api.Get($"/api/keys/{key.Id}/requests").Json()).EnumerateArray().ToList());
        Assert.Equal(7, logged.GetProperty("inputTokens").GetInt64());
        Assert.Equal(Cost(7, 0, 0), logged.GetProperty("cost").GetDecimal());
    }

    [Fact]
    public async Task a_gemini_model_is_listed_by_v1_models_and_refused_on_embeddings_naming_why()
    {
        var (model, key) = await Model(await Gemini(), "gemini-2.5-flash");

        var listed = await (await fx.ProxyClient(key.Key).GetAsync("/v1/models")).Content.ReadAsStringAsync();
        var refused = await fx.ProxyClient(key.Key).PostAsync("/v1/embeddings", Routing.JsonBody($$"""{"model":"{{model}}","input":"Hello"}"""));

        Assert.Contains(model, listed);
        Assert.Equal(400, (int)refused.StatusCode);
        var error = (await refused.Json()).GetProperty("error");
        Assert.Equal("wrong_api", error.GetProperty("code").GetString());
        Assert.Contains("Gemini", error.GetProperty("message").GetString());
        Assert.Empty(_gemini.Received);
    }
}
