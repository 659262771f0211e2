using ProxyAdapter.Translation;
using ProxyAdapter.Translation.Azure;
using static Governance.Tests.Translation.Harness;

namespace Governance.Tests.Translation;

/// <summary>Azure OpenAI takes OpenAI's bodies unchanged, at its deployment URLs (or its v1 API), with the key in <c>api-key</c>.</summary>
public sealed class AzureOpenAiTests
{
    [Fact]
    public void a_chat_request_goes_unchanged_to_the_deployments_path_with_its_api_version()
    {
        var target = new ModelTarget(TargetKinds.AzureOpenAi, "prod gpt-4o") { AzureApiVersion = "2024-10-21" };

        var call = Translate(ClientApi.ChatCompletions, """{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}],"logprobs":true,"n":3}""", target);

        Assert.True(call.Passthrough);
        Assert.Equal("/openai/deployments/prod%20gpt-4o/chat/completions?api-version=2024-10-21", call.Path);
        Assert.True((bool)call.Body["logprobs"]!);
        Assert.Equal(3, (int)call.Body["n"]!);
    }

    [Fact]
    public void without_an_api_version_the_v1_api_takes_the_deployment_as_the_model()
    {
        var target = new ModelTarget(TargetKinds.AzureOpenAi, "prod-gpt-4o");

        var call = Translate(ClientApi.ChatCompletions, """{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}""", target);

        Assert.Equal("/openai/v1/chat/completions", call.Path);
        Assert.Equal("prod-gpt-4o", (string)call.Body["model"]!);
        Assert.Equal("/openai/v1/embeddings", AzureOpenAi.Path(target, "embeddings"));
    }

    [Theory]
    [InlineData(TargetKinds.AzureOpenAi, "api-key", "k")]
    [InlineData(TargetKinds.OpenAi, "Authorization", "Bearer k")]
    [InlineData(TargetKinds.OpenAiCompatible, "Authorization", "Bearer k")]
    [InlineData(TargetKinds.Anthropic, "x-api-key", "k")]
    [InlineData(TargetKinds.Gemini, "x-goog-api-key", "k")]
    public void each_kind_reads_its_key_from_its_own_header(string kind, string header, string value)
    {
        Assert.Equal(new KeyValuePair<string, string>(header, value), ProviderAuth.Header(kind, "k"));
    }

    [Fact]
    public void an_azure_content_filter_error_keeps_its_status_and_code_for_a_messages_client()
    {
        var call = Translate(ClientApi.Messages, """{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}]}""",
            new ModelTarget(TargetKinds.AzureOpenAi, "d") { AzureApiVersion = "2024-10-21" });

        var (status, body) = Translator.Error(call, 400, """{"error":{"message":"The response was filtered","type":null,"param":"prompt","code":"content_filter","status":400}}"""u8.ToArray());

        Assert.Equal(400, status);
        SameJson("""{"type":"error","error":{"type":"invalid_request_error","message":"The response was filtered"}}""", System.Text.Json.Nodes.JsonNode.Parse(body));
        Assert.Equal("/openai/deployments/d/chat/completions?api-version=2024-10-21", call.Path);
    }

    [Fact]
    public void an_unknown_provider_kind_is_refused_rather_than_guessed()
    {
        var refusal = Refuse(ClientApi.ChatCompletions, """{"model":"m","messages":[{"role":"user","content":"x"}]}""", new ModelTarget("vertex", "m"));

        Assert.Equal("model", refusal.Param);
    }

    [Fact]
    public void a_passthrough_answer_and_stream_go_back_byte_for_byte_with_their_usage_read_for_pricing()
    {
        var call = Translate(ClientApi.Messages, """{"model":"m","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"x"}]}""",
            new ModelTarget(TargetKinds.Anthropic, "claude"));
        var stream = ChatToAnthropicTests.AnthropicStream.ReplaceLineEndings("\n");
        var answer = """{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":1}}""";
        var translator = Translator.Stream(call, Stamp);

        var relayed = Relay(translator, System.Text.Encoding.UTF8.GetBytes(stream));
        var whole = Translator.Response(call, System.Text.Encoding.UTF8.GetBytes(answer), Stamp)!;

        Assert.Equal(stream, relayed);
        Assert.True(translator.Finished);
        Assert.Equal(15, translator.Usage!.Value.Output);
        Assert.Equal(answer, System.Text.Encoding.UTF8.GetString(whole.Body));
        Assert.Equal(3, whole.Usage!.Value.Input);
    }
}
