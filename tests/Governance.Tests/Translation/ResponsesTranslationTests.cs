using System.Text;
using System.Text.Json.Nodes;
using ProxyAdapter.Translation;
using static Governance.Tests.Translation.Harness;

namespace Governance.Tests.Translation;

/// <summary><c>responses.create</c> reaches any model: passthrough to OpenAI and Azure, translated through chat to the rest.</summary>
public sealed class ResponsesTranslationTests
{
    private static readonly ModelTarget Compatible = new(TargetKinds.OpenAiCompatible, "deepseek-chat");
    private static readonly ModelTarget Claude = new(TargetKinds.Anthropic, "claude-sonnet-4-5");

    [Fact]
    public void openai_and_azure_receive_the_responses_request_unchanged()
    {
        var openAi = Translate(ClientApi.Responses, """{"model":"m","input":"Hi","previous_response_id":"resp_1"}""", new ModelTarget(TargetKinds.OpenAi, "gpt-5"));
        Assert.True(openAi.Passthrough);
        Assert.Equal("/responses", openAi.Path);
        Assert.Equal("resp_1", (string)openAi.Body["previous_response_id"]!);

        var azure = Translate(ClientApi.Responses, """{"model":"m","input":"Hi"}""", new ModelTarget(TargetKinds.AzureOpenAi, "my-gpt") { AzureApiVersion = "2025-04-01-preview" });
        Assert.Equal("/openai/responses?api-version=2025-04-01-preview", azure.Path);
        Assert.Equal("my-gpt", (string)azure.Body["model"]!);
    }

    [Fact]
    public void a_passed_through_response_and_stream_go_back_unchanged_and_are_read_for_their_usage_and_end()
    {
        var azure = new ModelTarget(TargetKinds.AzureOpenAi, "my-gpt");
        const string usage = """{"input_tokens":20,"input_tokens_details":{"cached_tokens":5},"output_tokens":9,"output_tokens_details":{"reasoning_tokens":4},"total_tokens":29}""";
        var answer = $$"""{"id":"resp_1","object":"response","status":"completed","output":[],"usage":{{usage}}}""";

        var whole = Translator.Response(Translate(ClientApi.Responses, """{"model":"m","input":"Hi"}""", azure), Encoding.UTF8.GetBytes(answer), Stamp);

        Assert.NotNull(whole);
        Assert.Equal(answer, Encoding.UTF8.GetString(whole.Body));
        var counts = whole.Usage!.Value;
        Assert.Equal((20L, 5L, 9L, 4L), (counts.Input, counts.CacheRead, counts.Output, counts.Reasoning));

        var stream = Sse(
            ("response.created", """{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress","usage":null}}"""),
            ("response.output_text.delta", """{"type":"response.output_text.delta","sequence_number":1,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi"}"""),
            ("response.completed", $$$"""{"type":"response.completed","sequence_number":2,"response":{"id":"resp_1","status":"completed","usage":{{{usage}}}}}"""));
        var translator = Translator.Stream(Translate(ClientApi.Responses, """{"model":"m","input":"Hi","stream":true}""", azure), Stamp);

        Assert.Equal(stream, Relay(translator, Encoding.UTF8.GetBytes(stream), [7, 150]));
        Assert.True(translator.Finished);
        Assert.False(translator.Failed);
        Assert.Equal(9, translator.Usage!.Value.Output);

        var cut = Translator.Stream(Translate(ClientApi.Responses, """{"model":"m","input":"Hi","stream":true}""", azure), Stamp);
        Relay(cut, Encoding.UTF8.GetBytes(stream[..stream.IndexOf("event: response.completed", StringComparison.Ordinal)]));
        Assert.False(cut.Finished);
    }

    [Fact]
    public void input_items_become_chat_messages_for_an_openai_compatible_server()
    {
        var call = Translate(ClientApi.Responses, """
            {"model":"m","instructions":"Be brief.","max_output_tokens":64,"temperature":0.3,
             "input":[{"role":"user","content":[{"type":"input_text","text":"Weather in Paris?"},{"type":"input_image","image_url":"data:image/png;base64,iVBORw0KGgo="}]},
              {"type":"message","role":"assistant","id":"msg_1","status":"completed","content":[{"type":"output_text","text":"Checking.","annotations":[]}]},
              {"type":"function_call","call_id":"call_1","name":"weather","arguments":"{\"city\":\"Paris\"}"},
              {"type":"function_call_output","call_id":"call_1","output":"sunny"}],
             "tools":[{"type":"function","name":"weather","description":"W","parameters":{"type":"object"}}],"tool_choice":{"type":"function","name":"weather"},
             "text":{"format":{"type":"json_schema","name":"w","schema":{"type":"object"},"strict":true}}}
            """, Compatible);

        Assert.False(call.Passthrough);
        Assert.Equal("/chat/completions", call.Path);
        SameJson("""
            {"model":"deepseek-chat","max_tokens":64,"temperature":0.3,
             "messages":[{"role":"system","content":"Be brief."},
              {"role":"user","content":[{"type":"text","text":"Weather in Paris?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]},
              {"role":"assistant","content":"Checking.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"sunny"}],
             "tools":[{"type":"function","function":{"name":"weather","description":"W","parameters":{"type":"object"}}}],
             "tool_choice":{"type":"function","function":{"name":"weather"}},
             "response_format":{"type":"json_schema","json_schema":{"name":"w","schema":{"type":"object"},"strict":true}}}
            """, call.Body);
    }

    [Fact]
    public void a_claude_model_gets_an_anthropic_messages_body()
    {
        var call = Translate(ClientApi.Responses, """{"model":"m","instructions":"Be brief.","input":"Hi","max_output_tokens":64}""", Claude);

        Assert.Equal("/messages", call.Path);
        SameJson("""
            {"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}],
             "system":[{"type":"text","text":"Be brief."}]}
            """, call.Body);
    }

    [Theory]
    [InlineData("\"previous_response_id\":\"resp_1\"", "previous_response_id")]
    [InlineData("\"conversation\":\"conv_1\"", "conversation")]
    [InlineData("\"store\":true", "store")]
    [InlineData("\"background\":true", "background")]
    [InlineData("\"reasoning\":{\"effort\":\"high\"}", "reasoning")]
    [InlineData("\"include\":[\"reasoning.encrypted_content\"]", "include")]
    [InlineData("\"tools\":[{\"type\":\"web_search\"}]", "tools[0].type")]
    [InlineData("\"truncation\":\"auto\"", "truncation")]
    [InlineData("\"surprise\":1", "surprise")]
    [InlineData("\"max_output_tokens\":\"10\"", "max_output_tokens")]
    public void stored_state_built_in_tools_and_unknown_fields_are_refused_naming_the_parameter(string field, string param)
    {
        var refusal = Refuse(ClientApi.Responses, $$$"""{"model":"m","input":"Hi",{{{field}}}}""", Claude);

        Assert.Equal(param, refusal.Param);
    }

    [Fact]
    public void reasoning_and_reference_items_are_refused_naming_the_item()
    {
        var refusal = Refuse(ClientApi.Responses, """{"model":"m","input":[{"type":"reasoning","id":"rs_1","summary":[]}]}""", Claude);

        Assert.Equal("input[0].type", refusal.Param);
    }

    [Fact]
    public void an_answer_becomes_a_response_object_with_message_and_function_call_items_and_usage()
    {
        var call = Translate(ClientApi.Responses, """{"model":"m","input":"Hi","metadata":{"app":"x"}}""", Claude);

        var response = Answer(call, """
            {"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"Sure."},{"type":"tool_use","id":"toolu_1","name":"f","input":{"a":1}}],
             "stop_reason":"tool_use","usage":{"input_tokens":10,"cache_read_input_tokens":5,"output_tokens":7}}
            """);

        Assert.Equal("resp_req1", (string)response["id"]!);
        Assert.Equal("response", (string)response["object"]!);
        Assert.Equal("completed", (string)response["status"]!);
        Assert.False((bool)response["store"]!);
        SameJson("""{"app":"x"}""", response["metadata"]);
        SameJson("""
            [{"type":"message","id":"msg_req1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Sure.","annotations":[],"logprobs":[]}]},
             {"type":"function_call","id":"fc_req1_0","call_id":"toolu_1","name":"f","arguments":"{\"a\":1}","status":"completed"}]
            """, response["output"]);
        SameJson("""{"input_tokens":15,"input_tokens_details":{"cached_tokens":5},"output_tokens":7,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":22}""",
            response["usage"]);
    }

    [Fact]
    public void an_answer_cut_by_the_token_limit_is_an_incomplete_response()
    {
        var call = Translate(ClientApi.Responses, """{"model":"m","input":"Hi"}""", Claude);

        var response = Answer(call, """{"content":[{"type":"text","text":"Hel"}],"stop_reason":"max_tokens","usage":{"input_tokens":1,"output_tokens":1}}""");

        Assert.Equal("incomplete", (string)response["status"]!);
        SameJson("""{"reason":"max_output_tokens"}""", response["incomplete_details"]);
    }

    [Fact]
    public void a_chat_stream_becomes_the_typed_responses_events_in_order_with_usage_in_response_completed()
    {
        var call = Translate(ClientApi.Responses, """{"model":"m","input":"Hi","stream":true}""", Compatible);
        SameJson("""{"include_usage":true}""", call.Body["stream_options"]);
        var chunk = """{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":DELTA,"finish_reason":FINISH}]}""";
        string C(string delta, string finish = "null") => chunk.Replace("DELTA", delta).Replace("FINISH", finish);
        var stream = Sse((null, C("""{"role":"assistant","content":""}""")), (null, C("""{"content":"Hi"}""")), (null, C("""{"content":"!"}""")),
            (null, C("""{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\""}}]}""")),
            (null, C("""{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]}""")), (null, C("{}", "\"tool_calls\"")),
            (null, """{"id":"c","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5,"completion_tokens_details":{"reasoning_tokens":2}}}"""), (null, "[DONE]"));

        var events = Events(Relay(call, stream));

        Assert.Equal(["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
            "response.output_text.delta", "response.output_text.delta", "response.output_text.done", "response.content_part.done",
            "response.output_item.done", "response.output_item.added", "response.function_call_arguments.delta",
            "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done",
            "response.completed"], events.Select(e => e.Event));
        Assert.All(events, e => Assert.Equal(e.Event, (string)e.Data!["type"]!));
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => (int)e.Data!["sequence_number"]!));
        Assert.Equal("Hi!", (string)events[6].Data!["text"]!);
        Assert.Equal("{\"a\":1}", (string)events[12].Data!["arguments"]!);
        var completed = events[^1].Data!["response"]!;
        Assert.Equal("completed", (string)completed["status"]!);
        SameJson("""{"input_tokens":12,"input_tokens_details":{"cached_tokens":0},"output_tokens":5,"output_tokens_details":{"reasoning_tokens":2},"total_tokens":17}""",
            completed["usage"]);
        Assert.Equal(2, completed["output"]!.AsArray().Count);
    }

    [Fact]
    public void a_provider_error_mid_stream_becomes_an_error_event_and_response_failed()
    {
        var call = Translate(ClientApi.Responses, """{"model":"m","input":"Hi","stream":true}""", Compatible);
        var stream = Sse((null, """{"id":"c","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"""),
            (null, """{"error":{"message":"Overloaded","type":"server_error","code":"overloaded"}}"""));

        var events = Events(Relay(call, stream));

        Assert.Equal("error", events[^2].Event);
        Assert.Equal("Overloaded", (string)events[^2].Data!["message"]!);
        Assert.Equal("response.failed", events[^1].Event);
        Assert.Equal("failed", (string)events[^1].Data!["response"]!["status"]!);
    }

    [Fact]
    public void a_provider_error_becomes_openais_error_shape()
    {
        var call = Translate(ClientApi.Responses, """{"model":"m","input":"Hi"}""", Claude);

        var (status, body) = Translator.Error(call, 429, Encoding.UTF8.GetBytes("""{"type":"error","error":{"type":"rate_limit_error","message":"Slow down"}}"""));

        Assert.Equal(429, status);
        SameJson("""{"error":{"message":"Slow down","type":"rate_limit_exceeded","param":null,"code":"rate_limit_error"}}""", JsonNode.Parse(body));
    }
}
