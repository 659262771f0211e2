using System.Text.Json.Nodes;
using CsCheck;
using ProxyAdapter.Translation;
using static Governance.Tests.Translation.Harness;

namespace Governance.Tests.Translation;

/// <summary>An OpenAI chat request reaches a Claude model through Anthropic's Messages API, and its answer comes back as OpenAI's.</summary>
public sealed class ChatToAnthropicTests
{
    private static readonly ModelTarget Claude = new(TargetKinds.Anthropic, "claude-sonnet-4-5") { DefaultMaxTokens = 1000 };

    [Fact]
    public void system_developer_and_turns_become_anthropic_system_and_alternating_messages()
    {
        var call = Translate(ClientApi.ChatCompletions, """
            {"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"developer","content":[{"type":"text","text":"Use French."}]},
             {"role":"user","content":"Hi"},{"role":"assistant","content":"Salut"},{"role":"user","content":"Again"}],
             "temperature":0.5,"top_p":0.9,"stop":["END"],"max_completion_tokens":50,"user":"u-1","n":1,"logprobs":false}
            """, Claude);

        Assert.Equal("/messages", call.Path);
        Assert.False(call.Passthrough);
        Assert.Contains(new KeyValuePair<string, string>("anthropic-version", "2023-06-01"), call.Headers);
        SameJson("""
            {"model":"claude-sonnet-4-5","max_tokens":50,
             "messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]},{"role":"assistant","content":[{"type":"text","text":"Salut"}]},
                         {"role":"user","content":[{"type":"text","text":"Again"}]}],
             "system":[{"type":"text","text":"Be brief."},{"type":"text","text":"Use French."}],
             "temperature":0.5,"top_p":0.9,"stop_sequences":["END"],"metadata":{"user_id":"u-1"}}
            """, call.Body);
    }

    [Fact]
    public void a_request_without_a_limit_gets_the_targets_default_max_tokens_as_anthropic_requires_one()
    {
        var call = Translate(ClientApi.ChatCompletions, """{"model":"m","messages":[{"role":"user","content":"Hi"}]}""", Claude);

        Assert.Equal(1000, (long)call.Body["max_tokens"]!);
    }

    [Fact]
    public void images_go_as_base64_blocks_or_url_blocks()
    {
        var call = Translate(ClientApi.ChatCompletions, """
            {"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},
              {"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]}]}
            """, Claude);

        SameJson("""
            [{"type":"text","text":"What is this?"},
             {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
             {"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}}]
            """, call.Body["messages"]![0]!["content"]);
    }

    [Fact]
    public void tool_definitions_parallel_calls_and_results_become_tool_use_and_tool_result_blocks()
    {
        var call = Translate(ClientApi.ChatCompletions, """
            {"model":"m","tools":[{"type":"function","function":{"name":"weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],
             "messages":[{"role":"user","content":"Paris and Rome?"},
              {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}},
                                                                {"id":"c2","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Rome\"}"}}]},
              {"role":"tool","tool_call_id":"c1","content":"sunny"},{"role":"tool","tool_call_id":"c2","content":"rain"}]}
            """, Claude);

        SameJson("""[{"name":"weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}]""", call.Body["tools"]);
        SameJson("""
            [{"role":"user","content":[{"type":"text","text":"Paris and Rome?"}]},
             {"role":"assistant","content":[{"type":"tool_use","id":"c1","name":"weather","input":{"city":"Paris"}},{"type":"tool_use","id":"c2","name":"weather","input":{"city":"Rome"}}]},
             {"role":"user","content":[{"type":"tool_result","tool_use_id":"c1","content":"sunny"},{"type":"tool_result","tool_use_id":"c2","content":"rain"}]}]
            """, call.Body["messages"]);
    }

    [Theory]
    [InlineData("\"auto\"", true, """{"type":"auto"}""")]
    [InlineData("\"none\"", true, """{"type":"none"}""")]
    [InlineData("\"required\"", true, """{"type":"any"}""")]
    [InlineData("""{"type":"function","function":{"name":"f"}}""", true, """{"type":"tool","name":"f"}""")]
    [InlineData("\"required\"", false, """{"type":"any","disable_parallel_tool_use":true}""")]
    [InlineData("null", false, """{"type":"auto","disable_parallel_tool_use":true}""")]
    public void tool_choice_maps_to_anthropics(string choice, bool parallel, string expected)
    {
        var call = Translate(ClientApi.ChatCompletions, $$$"""
            {"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":{{{choice}}},"parallel_tool_calls":{{{(parallel ? "true" : "false")}}},
             "tools":[{"type":"function","function":{"name":"f"}}]}
            """, Claude);

        SameJson(expected, call.Body["tool_choice"]);
    }

    [Fact]
    public void structured_output_is_emulated_with_a_forced_tool_whose_call_comes_back_as_the_text()
    {
        var call = Translate(ClientApi.ChatCompletions, """
            {"model":"m","messages":[{"role":"user","content":"x"}],
             "response_format":{"type":"json_schema","json_schema":{"name":"person","schema":{"type":"object","properties":{"name":{"type":"string"}}}}}}
            """, Claude);
        SameJson("""{"type":"tool","name":"person"}""", call.Body["tool_choice"]);
        Assert.Equal("person", (string)call.Body["tools"]![0]!["name"]!);

        var answer = Answer(call, """
            {"id":"msg_1","type":"message","role":"assistant","content":[{"type":"tool_use","id":"t1","name":"person","input":{"name":"Ada"}}],
             "stop_reason":"tool_use","usage":{"input_tokens":5,"output_tokens":3}}
            """);

        Assert.Equal("""{"name":"Ada"}""", (string)answer["choices"]![0]!["message"]!["content"]!);
        Assert.Equal("stop", (string)answer["choices"]![0]!["finish_reason"]!);
        Assert.Null(answer["choices"]![0]!["message"]!["tool_calls"]);
    }

    [Theory]
    [InlineData("\"n\":2", "n")]
    [InlineData("\"temperature\":1.5", "temperature")]
    [InlineData("\"logprobs\":true", "logprobs")]
    [InlineData("\"seed\":7", "seed")]
    [InlineData("\"presence_penalty\":0.5", "presence_penalty")]
    [InlineData("\"reasoning_effort\":\"high\"", "reasoning_effort")]
    [InlineData("\"surprise\":1", "surprise")]
    [InlineData("\"temperature\":\"hot\"", "temperature")]
    [InlineData("\"max_tokens\":1.5", "max_tokens")]
    public void a_value_that_cannot_be_translated_is_refused_naming_the_parameter(string field, string param)
    {
        var refusal = Refuse(ClientApi.ChatCompletions, $$$"""{"model":"m","messages":[{"role":"user","content":"x"}],{{{field}}}}""", Claude);

        Assert.Equal(param, refusal.Param);
    }

    [Fact]
    public void a_tool_result_for_a_call_never_made_is_refused_naming_it()
    {
        var refusal = Refuse(ClientApi.ChatCompletions, """
            {"model":"m","messages":[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"nope","content":"r"}]}
            """, Claude);

        Assert.Equal("messages[1].tool_call_id", refusal.Param);
    }

    [Theory]
    [InlineData("end_turn", "stop")]
    [InlineData("stop_sequence", "stop")]
    [InlineData("max_tokens", "length")]
    [InlineData("tool_use", "tool_calls")]
    [InlineData("refusal", "content_filter")]
    public void an_answer_becomes_a_chat_completion_with_the_finish_reason_mapped(string stopReason, string finish)
    {
        var call = Translate(ClientApi.ChatCompletions, """{"model":"m","messages":[{"role":"user","content":"x"}]}""", Claude);

        var answer = Answer(call, $$$"""
            {"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[{"type":"text","text":"Hel"},{"type":"text","text":"lo"},
             {"type":"tool_use","id":"toolu_1","name":"f","input":{"a":1}}],"stop_reason":"{{{stopReason}}}",
             "usage":{"input_tokens":10,"cache_read_input_tokens":20,"cache_creation_input_tokens":5,"output_tokens":7}}
            """);

        SameJson($$$$"""
            {"id":"chatcmpl-req1","object":"chat.completion","created":1700000000,"model":"client-model",
             "choices":[{"index":0,"message":{"role":"assistant","content":"Hello","refusal":null,
               "tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},"logprobs":null,"finish_reason":"{{{{finish}}}}"}],
             "usage":{"prompt_tokens":35,"completion_tokens":7,"total_tokens":42,"prompt_tokens_details":{"cached_tokens":20},"completion_tokens_details":{"reasoning_tokens":0}}}
            """, answer);
    }

    internal const string AnthropicStream = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude","stop_reason":null,"usage":{"input_tokens":10,"cache_read_input_tokens":4,"output_tokens":1}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

        event: ping
        data: {"type": "ping"}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Let me "}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"check."}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: content_block_start
        data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"weather","input":{}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\":"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\"Paris\"}"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":1}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":15}}

        event: message_stop
        data: {"type":"message_stop"}


        """;

    [Fact]
    public void a_stream_becomes_chunks_with_role_first_deltas_tool_call_deltas_finish_reason_usage_and_done()
    {
        var call = Translate(ClientApi.ChatCompletions,
            """{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}""", Claude);
        Assert.True(call.Body["stream"]!.GetValue<bool>());

        var translator = Translator.Stream(call, Stamp);
        var events = Events(Relay(translator, System.Text.Encoding.UTF8.GetBytes(AnthropicStream.ReplaceLineEndings("\n"))));

        var deltas = events.Select(e => e.Data?["choices"]?.AsArray().FirstOrDefault()?["delta"]).ToList();
        SameJson("""{"role":"assistant","content":""}""", deltas[0]);
        SameJson("""{"content":"Let me "}""", deltas[1]);
        SameJson("""{"content":"check."}""", deltas[2]);
        SameJson("""{"tool_calls":[{"index":0,"id":"toolu_1","type":"function","function":{"name":"weather","arguments":""}}]}""", deltas[3]);
        SameJson("""{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}""", deltas[4]);
        SameJson("""{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]}""", deltas[5]);
        Assert.Equal("tool_calls", (string)events[6].Data!["choices"]![0]!["finish_reason"]!);
        SameJson("[]", events[7].Data!["choices"]);
        SameJson("""{"prompt_tokens":14,"completion_tokens":15,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":0}}""",
            events[7].Data!["usage"]);
        Assert.Equal("[DONE]", events[8].Raw);
        Assert.Equal(9, events.Count);
        Assert.All(events.Take(8), e => Assert.Equal("chatcmpl-req1", (string)e.Data!["id"]!));
        Assert.Equal(ProviderUsage.FromUncached(10, 4, 0, 15), translator.Usage);
        Assert.True(translator.Finished);
    }

    [Fact]
    public void without_include_usage_the_stream_has_no_usage_chunk_but_the_gateway_still_reads_usage()
    {
        var call = Translate(ClientApi.ChatCompletions, """{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}""", Claude);
        var translator = Translator.Stream(call, Stamp);

        var events = Events(Relay(translator, System.Text.Encoding.UTF8.GetBytes(AnthropicStream.ReplaceLineEndings("\n"))));

        Assert.DoesNotContain(events, e => e.Data?["usage"] is not null);
        Assert.Equal(15, translator.Usage!.Value.Output);
    }

    [Fact]
    public void the_translated_stream_is_the_same_however_the_provider_bytes_are_split()
    {
        var call = Translate(ClientApi.ChatCompletions,
            """{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}""", Claude);
        var bytes = System.Text.Encoding.UTF8.GetBytes(AnthropicStream.ReplaceLineEndings("\n"));
        var whole = Relay(Translator.Stream(call, Stamp), bytes);

        Gen.Int[1, bytes.Length - 1].Array[0, 20].Sample(cuts => Assert.Equal(whole, Relay(Translator.Stream(call, Stamp), bytes, cuts)));
    }

    [Fact]
    public void a_stream_cut_before_message_delta_ends_without_done_so_the_relay_sees_it_broken()
    {
        var call = Translate(ClientApi.ChatCompletions, """{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}""", Claude);
        var cut = AnthropicStream.ReplaceLineEndings("\n");
        cut = cut[..cut.IndexOf("event: message_delta", StringComparison.Ordinal)];
        var translator = Translator.Stream(call, Stamp);

        var text = Relay(translator, System.Text.Encoding.UTF8.GetBytes(cut));

        Assert.False(translator.Finished);
        Assert.DoesNotContain("[DONE]", text);
    }

    [Fact]
    public void an_error_event_mid_stream_becomes_an_openai_error_and_ends_the_stream()
    {
        var call = Translate(ClientApi.ChatCompletions, """{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}""", Claude);
        var stream = Sse(("message_start", """{"type":"message_start","message":{"id":"m","usage":{"input_tokens":1,"output_tokens":1}}}"""),
            ("error", """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"""),
            ("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"late"}}"""));
        var translator = Translator.Stream(call, Stamp);

        var events = Events(Relay(translator, System.Text.Encoding.UTF8.GetBytes(stream)));

        Assert.True(translator.Failed);
        SameJson("""{"error":{"message":"Overloaded","type":"api_error","param":null,"code":"overloaded_error"}}""", events[^1].Data);
        Assert.DoesNotContain(events, e => e.Raw.Contains("late", StringComparison.Ordinal) || e.Raw == "[DONE]");
    }

    [Theory]
    [InlineData(429, "rate_limit_error", 429, "rate_limit_exceeded")]
    [InlineData(529, "overloaded_error", 503, "api_error")]
    [InlineData(400, "invalid_request_error", 400, "invalid_request_error")]
    [InlineData(401, "authentication_error", 401, "invalid_request_error")]
    public void a_provider_error_becomes_openais_error_shape_with_the_right_status(int status, string type, int expectedStatus, string expectedType)
    {
        var call = Translate(ClientApi.ChatCompletions, """{"model":"m","messages":[{"role":"user","content":"x"}]}""", Claude);

        var (translated, body) = Translator.Error(call, status, System.Text.Encoding.UTF8.GetBytes(
            $$$"""{"type":"error","error":{"type":"{{{type}}}","message":"Nope"},"request_id":"req_1"}"""));

        Assert.Equal(expectedStatus, translated);
        SameJson($$$"""{"error":{"message":"Nope","type":"{{{expectedType}}}","param":null,"code":"{{{type}}}"}}""", JsonNode.Parse(body));
    }
}
