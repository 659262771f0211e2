using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using ProxyAdapter.Translation;
using ProxyAdapter.Translation.Bedrock;
using static Governance.Tests.Translation.Harness;

namespace Governance.Tests.Translation;

/// <summary>An OpenAI chat request reaches a Bedrock model through Converse / ConverseStream, and comes back as OpenAI's.</summary>
public sealed class ChatToBedrockTests
{
    private static readonly ModelTarget Bedrock = new(TargetKinds.Bedrock, "anthropic.claude-3-5-sonnet-20240620-v1:0") { AwsRegion = "us-east-1" };

    [Fact]
    public void turns_system_and_inference_config_become_a_converse_body_at_the_models_path()
    {
        var call = Translate(ClientApi.ChatCompletions, """
            {"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Look"},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},
              {"type":"file","file":{"file_data":"data:application/pdf;base64,JVBERi0=","filename":"q3 report.pdf"}}]},
              {"role":"assistant","content":"A cat."},{"role":"user","content":"Sure?"}],
             "temperature":0.4,"top_p":0.9,"max_completion_tokens":100,"stop":["END"]}
            """, Bedrock);

        Assert.Equal("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse", call.Path);
        SameJson("""
            {"messages":[{"role":"user","content":[{"text":"Look"},{"image":{"format":"png","source":{"bytes":"iVBORw0KGgo="}}},
                {"document":{"format":"pdf","name":"q3 report","source":{"bytes":"JVBERi0="}}}]},
              {"role":"assistant","content":[{"text":"A cat."}]},{"role":"user","content":[{"text":"Sure?"}]}],
             "system":[{"text":"Be brief."}],
             "inferenceConfig":{"maxTokens":100,"temperature":0.4,"topP":0.9,"stopSequences":["END"]}}
            """, call.Body);
    }

    [Fact]
    public void a_streamed_request_goes_to_converse_stream()
    {
        var call = Translate(ClientApi.ChatCompletions, """{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}""", Bedrock);

        Assert.Equal("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream", call.Path);
    }

    [Fact]
    public void tools_become_tool_specs_and_history_tool_use_and_tool_result_blocks()
    {
        var call = Translate(ClientApi.ChatCompletions, """
            {"model":"m","tools":[{"type":"function","function":{"name":"weather","description":"W","parameters":{"type":"object"}}}],"tool_choice":"required",
             "messages":[{"role":"user","content":"Paris?"},
              {"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}}]},
              {"role":"tool","tool_call_id":"c1","content":"sunny"}]}
            """, Bedrock);

        SameJson("""{"tools":[{"toolSpec":{"name":"weather","description":"W","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"any":{}}}""", call.Body["toolConfig"]);
        SameJson("""
            [{"role":"user","content":[{"text":"Paris?"}]},
             {"role":"assistant","content":[{"toolUse":{"toolUseId":"c1","name":"weather","input":{"city":"Paris"}}}]},
             {"role":"user","content":[{"toolResult":{"toolUseId":"c1","content":[{"text":"sunny"}]}}]}]
            """, call.Body["messages"]);
    }

    [Theory]
    [InlineData("\"auto\"", """{"auto":{}}""")]
    [InlineData("""{"type":"function","function":{"name":"f"}}""", """{"tool":{"name":"f"}}""")]
    public void tool_choice_maps_to_converses(string choice, string expected)
    {
        var call = Translate(ClientApi.ChatCompletions, $$$"""
            {"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":{{{choice}}},"tools":[{"type":"function","function":{"name":"f"}}]}
            """, Bedrock);

        SameJson(expected, call.Body["toolConfig"]!["toolChoice"]);
    }

    [Fact]
    public void tool_choice_none_without_tool_history_sends_no_tools_so_none_can_be_called()
    {
        var call = Translate(ClientApi.ChatCompletions, """
            {"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"none","tools":[{"type":"function","function":{"name":"f"}}]}
            """, Bedrock);

        Assert.Null(call.Body["toolConfig"]);
    }

    [Fact]
    public void json_mode_is_emulated_with_a_forced_tool_and_comes_back_as_text()
    {
        var call = Translate(ClientApi.ChatCompletions, """{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}}""", Bedrock);
        SameJson("""{"tool":{"name":"json_answer"}}""", call.Body["toolConfig"]!["toolChoice"]);

        var answer = Answer(call, """
            {"output":{"message":{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"json_answer","input":{"ok":true}}}]}},
             "stopReason":"tool_use","usage":{"inputTokens":3,"outputTokens":2,"totalTokens":5}}
            """);

        Assert.Equal("""{"ok":true}""", (string)answer["choices"]![0]!["message"]!["content"]!);
        Assert.Equal("stop", (string)answer["choices"]![0]!["finish_reason"]!);
    }

    [Theory]
    [InlineData("""{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}""", "", "messages[0].content[0].image_url.url")]
    [InlineData("""{"role":"user","content":"x"}""", ",\"n\":3", "n")]
    [InlineData("""{"role":"user","content":"x"}""", ",\"user\":\"u1\"", "user")]
    [InlineData("""{"role":"user","content":"x"}""", ",\"seed\":1", "seed")]
    [InlineData("""{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}}]}""", "", "messages[0].content[0]")]
    public void what_converse_cannot_take_is_refused_naming_it_and_a_url_image_is_never_fetched(string message, string extra, string param)
    {
        var refusal = Refuse(ClientApi.ChatCompletions, $$$"""{"model":"m","messages":[{{{message}}}]{{{extra}}}}""", Bedrock);

        Assert.Equal(param, refusal.Param);
    }

    [Theory]
    [InlineData("end_turn", "stop")]
    [InlineData("max_tokens", "length")]
    [InlineData("tool_use", "tool_calls")]
    [InlineData("guardrail_intervened", "content_filter")]
    [InlineData("content_filtered", "content_filter")]
    public void an_answer_becomes_a_chat_completion_with_usage_and_finish_reason(string stopReason, string finish)
    {
        var call = Translate(ClientApi.ChatCompletions, """{"model":"m","messages":[{"role":"user","content":"x"}]}""", Bedrock);

        var answer = Answer(call, $$$$"""
            {"output":{"message":{"role":"assistant","content":[{"reasoningContent":{"reasoningText":{"text":"hm"}}},{"text":"Hello"},
              {"toolUse":{"toolUseId":"tooluse_1","name":"f","input":{"a":1}}}]}},"stopReason":"{{{{stopReason}}}}",
             "usage":{"inputTokens":10,"outputTokens":7,"totalTokens":17,"cacheReadInputTokens":20,"cacheWriteInputTokens":5},"metrics":{"latencyMs":100}}
            """);

        Assert.Equal("Hello", (string)answer["choices"]![0]!["message"]!["content"]!);
        SameJson("""[{"id":"tooluse_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]""", answer["choices"]![0]!["message"]!["tool_calls"]);
        Assert.Equal(finish, (string)answer["choices"]![0]!["finish_reason"]!);
        SameJson("""{"prompt_tokens":35,"completion_tokens":7,"total_tokens":42,"prompt_tokens_details":{"cached_tokens":20},"completion_tokens_details":{"reasoning_tokens":0}}""",
            answer["usage"]);
    }

    internal static byte[] Frame(string eventType, string payload) => EventStream.Encode(
        [EventHeader.Text(":event-type", eventType), EventHeader.Text(":content-type", "application/json"), EventHeader.Text(":message-type", "event")],
        Encoding.UTF8.GetBytes(payload));

    internal static byte[] ConverseStream() =>
    [
        .. Frame("messageStart", """{"role":"assistant"}"""),
        .. Frame("contentBlockDelta", """{"contentBlockIndex":0,"delta":{"text":"Let me"}}"""),
        .. Frame("contentBlockDelta", """{"contentBlockIndex":0,"delta":{"text":" check."}}"""),
        .. Frame("contentBlockStop", """{"contentBlockIndex":0}"""),
        .. Frame("contentBlockStart", """{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"tooluse_1","name":"weather"}}}"""),
        .. Frame("contentBlockDelta", """{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\":"}}}"""),
        .. Frame("contentBlockDelta", """{"contentBlockIndex":1,"delta":{"toolUse":{"input":"\"Paris\"}"}}}"""),
        .. Frame("contentBlockStop", """{"contentBlockIndex":1}"""),
        .. Frame("messageStop", """{"stopReason":"tool_use"}"""),
        .. Frame("metadata", """{"usage":{"inputTokens":9,"outputTokens":12,"totalTokens":21},"metrics":{"latencyMs":5}}"""),
    ];

    [Fact]
    public void an_event_stream_becomes_chunks_with_tool_call_deltas_finish_reason_and_the_usage_that_follows_the_stop()
    {
        var call = Translate(ClientApi.ChatCompletions, """{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}""", Bedrock);
        var translator = Translator.Stream(call, Stamp);

        var events = Events(Relay(translator, ConverseStream()));

        var deltas = events.Select(e => e.Data?["choices"]?.AsArray().FirstOrDefault()?["delta"]).ToList();
        SameJson("""{"role":"assistant","content":""}""", deltas[0]);
        SameJson("""{"content":"Let me"}""", deltas[1]);
        SameJson("""{"content":" check."}""", deltas[2]);
        SameJson("""{"tool_calls":[{"index":0,"id":"tooluse_1","type":"function","function":{"name":"weather","arguments":""}}]}""", deltas[3]);
        SameJson("""{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}""", deltas[4]);
        Assert.Equal("tool_calls", (string)events[6].Data!["choices"]![0]!["finish_reason"]!);
        Assert.Equal(21, (int)events[7].Data!["usage"]!["total_tokens"]!);
        Assert.Equal("[DONE]", events[8].Raw);
        Assert.Equal(ProviderUsage.FromUncached(9, 0, 0, 12), translator.Usage);
    }

    [Fact]
    public void the_translated_stream_is_the_same_however_the_frames_are_split()
    {
        var call = Translate(ClientApi.ChatCompletions, """{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}""", Bedrock);
        var bytes = ConverseStream();
        var whole = Relay(Translator.Stream(call, Stamp), bytes);

        Gen.Int[1, bytes.Length - 1].Array[0, 30].Sample(cuts => Assert.Equal(whole, Relay(Translator.Stream(call, Stamp), bytes, cuts)));
    }

    [Fact]
    public void a_frame_with_a_wrong_crc_fails_the_stream_instead_of_passing_corrupt_bytes_on()
    {
        var call = Translate(ClientApi.ChatCompletions, """{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}""", Bedrock);
        var first = Frame("messageStart", """{"role":"assistant"}""");
        var corrupt = Frame("contentBlockDelta", """{"contentBlockIndex":0,"delta":{"text":"evil"}}""");
        corrupt[^6] ^= 0x20; // a payload byte: the message CRC no longer matches
        var translator = Translator.Stream(call, Stamp);

        var text = Relay(translator, [.. first, .. corrupt]);

        Assert.True(translator.Failed);
        Assert.DoesNotContain("evil", text);
        Assert.Contains("corrupt_event_stream", text);
    }

    [Fact]
    public void a_corrupt_prelude_is_refused_at_once_rather_than_awaiting_a_length_never_meant()
    {
        var frame = Frame("messageStart", """{"role":"assistant"}""");
        frame[2] = 0x7f; // total length now ~8 MB: the prelude CRC catches it

        Assert.Equal(12, EventStream.MessageLength(frame));
        Assert.Null(EventStream.TryDecode(frame.AsMemory(0, 12), out var error));
        Assert.NotNull(error);
    }

    [Fact]
    public void an_exception_message_mid_stream_becomes_an_openai_error_with_its_status_type()
    {
        var call = Translate(ClientApi.ChatCompletions, """{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}""", Bedrock);
        var exception = EventStream.Encode(
            [EventHeader.Text(":exception-type", "throttlingException"), EventHeader.Text(":content-type", "application/json"), EventHeader.Text(":message-type", "exception")],
            """{"message":"Too many requests"}"""u8);
        var translator = Translator.Stream(call, Stamp);

        var events = Events(Relay(translator, [.. Frame("messageStart", """{"role":"assistant"}"""), .. exception]));

        Assert.True(translator.Failed);
        SameJson("""{"error":{"message":"Too many requests","type":"rate_limit_exceeded","param":null,"code":"throttlingException"}}""", events[^1].Data);
    }

    [Theory]
    [InlineData(400, "invalid_request_error")]
    [InlineData(403, "permission_error")]
    [InlineData(429, "rate_limit_exceeded")]
    [InlineData(503, "api_error")]
    public void an_http_error_becomes_openais_error_shape(int status, string type)
    {
        var call = Translate(ClientApi.ChatCompletions, """{"model":"m","messages":[{"role":"user","content":"x"}]}""", Bedrock);

        var (translated, body) = Translator.Error(call, status, """{"message":"Nope"}"""u8.ToArray());

        Assert.Equal(status, translated);
        SameJson($$$"""{"error":{"message":"Nope","type":"{{{type}}}","param":null,"code":null}}""", JsonNode.Parse(body));
    }
}
