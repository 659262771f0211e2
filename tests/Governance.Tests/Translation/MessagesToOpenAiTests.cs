using System.Text;
using System.Text.Json.Nodes;
using ProxyAdapter.Translation;
using static Governance.Tests.Translation.Harness;

namespace Governance.Tests.Translation;

/// <summary>An Anthropic SDK's Messages request reaches an OpenAI-kind model, and the answer comes back as Anthropic's.</summary>
public sealed class MessagesToOpenAiTests
{
    private static readonly ModelTarget Gpt = new(TargetKinds.OpenAi, "gpt-4.1");

    [Fact]
    public void a_claude_passthrough_stays_untouched_but_a_gpt_model_gets_a_chat_completions_body()
    {
        var claude = Translate(ClientApi.Messages, """{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"Hi"}]}""",
            new ModelTarget(TargetKinds.Anthropic, "claude"));
        Assert.True(claude.Passthrough);
        Assert.Equal("/messages", claude.Path);

        var call = Translate(ClientApi.Messages, """
            {"model":"m","max_tokens":50,"system":[{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}}],
             "messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":[{"type":"text","text":"Hello"}]},
              {"role":"user","content":[{"type":"text","text":"Look"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}]}],
             "temperature":0.2,"top_p":0.8,"stop_sequences":["END"],"metadata":{"user_id":"u-1"}}
            """, Gpt);

        Assert.False(call.Passthrough);
        Assert.Equal("/chat/completions", call.Path);
        SameJson("""
            {"model":"gpt-4.1","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"},
              {"role":"user","content":[{"type":"text","text":"Look"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}],
             "max_completion_tokens":50,"temperature":0.2,"top_p":0.8,"stop":["END"],"user":"u-1"}
            """, call.Body);
    }

    [Fact]
    public void tool_use_and_tool_results_become_tool_calls_and_tool_messages_before_the_rest_of_the_turn()
    {
        var call = Translate(ClientApi.Messages, """
            {"model":"m","max_tokens":50,"tools":[{"name":"weather","description":"W","input_schema":{"type":"object"}}],
             "tool_choice":{"type":"any","disable_parallel_tool_use":true},
             "messages":[{"role":"user","content":"Paris?"},
              {"role":"assistant","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"weather","input":{"city":"Paris"}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"sunny"}]},{"type":"text","text":"Thanks"}]},
              {"role":"assistant","content":[{"type":"tool_use","id":"toolu_2","name":"weather","input":{}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_2","content":"boom","is_error":true}]}]}
            """, Gpt);

        SameJson("""[{"type":"function","function":{"name":"weather","description":"W","parameters":{"type":"object"}}}]""", call.Body["tools"]);
        Assert.Equal("required", (string)call.Body["tool_choice"]!);
        Assert.False((bool)call.Body["parallel_tool_calls"]!);
        SameJson("""
            [{"role":"user","content":"Paris?"},
             {"role":"assistant","content":"Checking.","tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}}]},
             {"role":"tool","tool_call_id":"toolu_1","content":"sunny"},
             {"role":"user","content":[{"type":"text","text":"Thanks"}]},
             {"role":"assistant","content":null,"tool_calls":[{"id":"toolu_2","type":"function","function":{"name":"weather","arguments":"{}"}}]},
             {"role":"tool","tool_call_id":"toolu_2","content":"[tool error] boom"}]
            """, call.Body["messages"]);
    }

    [Theory]
    [InlineData("\"top_k\":5", "top_k")]
    [InlineData("\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1000}", "thinking")]
    [InlineData("\"tools\":[{\"type\":\"web_search_20250305\",\"name\":\"web_search\"}]", "tools[0].type")]
    [InlineData("\"temperature\":1.5", "temperature")]
    [InlineData("\"metadata\":{\"tenant\":\"x\"}", "metadata.tenant")]
    [InlineData("\"surprise\":true", "surprise")]
    public void anthropic_features_without_an_openai_counterpart_are_refused_naming_them(string field, string param)
    {
        var refusal = Refuse(ClientApi.Messages, $$$"""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],{{{field}}}}""", Gpt);

        Assert.Equal(param, refusal.Param);
    }

    [Fact]
    public void thinking_blocks_in_history_are_refused_naming_the_block()
    {
        var refusal = Refuse(ClientApi.Messages, """
            {"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"s"}]},{"role":"user","content":"y"}]}
            """, Gpt);

        Assert.Equal("messages[1].content[0].type", refusal.Param);
    }

    [Fact]
    public void max_tokens_is_required_as_anthropic_requires_it()
    {
        Assert.Equal("max_tokens", Refuse(ClientApi.Messages, """{"model":"m","messages":[{"role":"user","content":"x"}]}""", Gpt).Param);
    }

    [Fact]
    public void an_openai_compatible_server_gets_max_tokens_which_most_of_them_know()
    {
        var call = Translate(ClientApi.Messages, """{"model":"m","max_tokens":9,"messages":[{"role":"user","content":"x"}]}""",
            new ModelTarget(TargetKinds.OpenAiCompatible, "deepseek-chat"));

        Assert.Equal(9, (long)call.Body["max_tokens"]!);
        Assert.Null(call.Body["max_completion_tokens"]);
    }

    [Fact]
    public void a_chat_completion_becomes_an_anthropic_message()
    {
        var call = Translate(ClientApi.Messages, """{"model":"m","max_tokens":50,"messages":[{"role":"user","content":"x"}]}""", Gpt);

        var answer = Answer(call, """
            {"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Sure.",
              "tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},"finish_reason":"tool_calls"}],
             "usage":{"prompt_tokens":30,"completion_tokens":7,"prompt_tokens_details":{"cached_tokens":10}}}
            """);

        SameJson("""
            {"id":"msg_req1","type":"message","role":"assistant","model":"client-model",
             "content":[{"type":"text","text":"Sure."},{"type":"tool_use","id":"call_1","name":"f","input":{"a":1}}],
             "stop_reason":"tool_use","stop_sequence":null,
             "usage":{"input_tokens":20,"cache_creation_input_tokens":0,"cache_read_input_tokens":10,"output_tokens":7}}
            """, answer);
    }

    [Fact]
    public void a_streamed_request_always_asks_the_provider_for_usage()
    {
        var call = Translate(ClientApi.Messages, """{"model":"m","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"x"}]}""", Gpt);

        SameJson("""{"include_usage":true}""", call.Body["stream_options"]);
        Assert.True(call.Streaming);
    }

    [Fact]
    public void a_chat_stream_becomes_anthropics_event_sequence()
    {
        var call = Translate(ClientApi.Messages, """{"model":"m","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"x"}]}""", Gpt);
        var chunk = """{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":DELTA,"finish_reason":FINISH}]}""";
        string C(string delta, string finish = "null") => chunk.Replace("DELTA", delta).Replace("FINISH", finish);
        var stream = Sse((null, C("""{"role":"assistant","content":""}""")), (null, C("""{"content":"Hi"}""")), (null, C("""{"content":" there"}""")),
            (null, C("""{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]}""")),
            (null, C("""{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":1}"}}]}""")),
            (null, C("{}", "\"tool_calls\"")),
            (null, """{"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":2}}}"""),
            (null, "[DONE]"));

        var events = Events(Relay(call, stream));

        Assert.Equal(["message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"], events.Select(e => e.Event));
        SameJson("""{"type":"text_delta","text":"Hi"}""", events[2].Data!["delta"]);
        SameJson("""{"type":"tool_use","id":"call_1","name":"f","input":{}}""", events[5].Data!["content_block"]);
        Assert.Equal(1, (int)events[5].Data!["index"]!);
        SameJson("""{"type":"input_json_delta","partial_json":"{\"a\":1}"}""", events[6].Data!["delta"]);
        SameJson("""
            {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},
             "usage":{"input_tokens":10,"cache_creation_input_tokens":0,"cache_read_input_tokens":2,"output_tokens":5}}
            """, events[8].Data);
        Assert.Equal("msg_req1", (string)events[0].Data!["message"]!["id"]!);
    }

    [Theory]
    [InlineData(429, "rate_limit_error")]
    [InlineData(400, "invalid_request_error")]
    [InlineData(401, "authentication_error")]
    [InlineData(404, "not_found_error")]
    [InlineData(500, "api_error")]
    public void an_openai_error_becomes_anthropics_error_shape(int status, string type)
    {
        var call = Translate(ClientApi.Messages, """{"model":"m","max_tokens":50,"messages":[{"role":"user","content":"x"}]}""", Gpt);

        var (translated, body) = Translator.Error(call, status, Encoding.UTF8.GetBytes("""{"error":{"message":"Nope","type":"x","param":null,"code":null}}"""));

        Assert.Equal(status, translated);
        SameJson($$$"""{"type":"error","error":{"type":"{{{type}}}","message":"Nope"}}""", JsonNode.Parse(body));
    }

    [Fact]
    public void a_messages_request_can_reach_gemini_through_the_chat_form()
    {
        var call = Translate(ClientApi.Messages, """{"model":"m","max_tokens":50,"system":"S","messages":[{"role":"user","content":"x"}]}""",
            new ModelTarget(TargetKinds.Gemini, "gemini-2.5-flash"));

        Assert.Equal("/models/gemini-2.5-flash:generateContent", call.Path);
        SameJson("""{"parts":[{"text":"S"}]}""", call.Body["systemInstruction"]);
    }
}
