using System.Text;
using System.Text.Json.Nodes;
using ProxyAdapter.Translation;
using static Governance.Tests.Translation.Harness;

namespace Governance.Tests.Translation;

/// <summary>An OpenAI chat request reaches a Gemini model through generateContent / streamGenerateContent, and comes back as OpenAI's.</summary>
public sealed class ChatToGeminiTests
{
    private static readonly ModelTarget Gemini = new(TargetKinds.Gemini, "gemini-2.5-flash");

    [Fact]
    public void turns_system_sampling_and_limits_become_contents_system_instruction_and_generation_config()
    {
        var call = Translate(ClientApi.ChatCompletions, """
            {"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Look"},
              {"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQ"}}]},{"role":"assistant","content":"A cat."},{"role":"user","content":"Sure?"}],
             "temperature":0.4,"top_p":0.9,"max_tokens":100,"stop":"END","n":2,"seed":42,"presence_penalty":0.5}
            """, Gemini);

        Assert.Equal("/models/gemini-2.5-flash:generateContent", call.Path);
        SameJson("""
            {"contents":[{"role":"user","parts":[{"text":"Look"},{"inlineData":{"mimeType":"image/jpeg","data":"/9j/4AAQ"}}]},
                         {"role":"model","parts":[{"text":"A cat."}]},{"role":"user","parts":[{"text":"Sure?"}]}],
             "systemInstruction":{"parts":[{"text":"Be brief."}]},
             "generationConfig":{"temperature":0.4,"topP":0.9,"maxOutputTokens":100,"stopSequences":["END"],"candidateCount":2,"seed":42,"presencePenalty":0.5}}
            """, call.Body);
    }

    [Fact]
    public void a_streamed_request_goes_to_stream_generate_content_with_alt_sse()
    {
        var call = Translate(ClientApi.ChatCompletions, """{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}""", Gemini);

        Assert.Equal("/models/gemini-2.5-flash:streamGenerateContent?alt=sse", call.Path);
        Assert.Null(call.Body["stream"]);
    }

    [Fact]
    public void tools_become_function_declarations_and_results_function_responses_named_after_their_call()
    {
        var call = Translate(ClientApi.ChatCompletions, """
            {"model":"m","tools":[{"type":"function","function":{"name":"weather","description":"W","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],
             "tool_choice":{"type":"function","function":{"name":"weather"}},
             "messages":[{"role":"user","content":"Paris?"},
              {"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}}]},
              {"role":"tool","tool_call_id":"c1","content":"sunny"}]}
            """, Gemini);

        SameJson("""[{"functionDeclarations":[{"name":"weather","description":"W","parametersJsonSchema":{"type":"object","properties":{"city":{"type":"string"}}}}]}]""",
            call.Body["tools"]);
        SameJson("""{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["weather"]}}""", call.Body["toolConfig"]);
        SameJson("""
            [{"role":"user","parts":[{"text":"Paris?"}]},
             {"role":"model","parts":[{"functionCall":{"name":"weather","args":{"city":"Paris"}}}]},
             {"role":"user","parts":[{"functionResponse":{"name":"weather","response":{"output":"sunny"}}}]}]
            """, call.Body["contents"]);
    }

    [Theory]
    [InlineData("\"auto\"", """{"mode":"AUTO"}""")]
    [InlineData("\"none\"", """{"mode":"NONE"}""")]
    [InlineData("\"required\"", """{"mode":"ANY"}""")]
    public void tool_choice_maps_to_function_calling_modes(string choice, string expected)
    {
        var call = Translate(ClientApi.ChatCompletions, $$$"""
            {"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":{{{choice}}},"tools":[{"type":"function","function":{"name":"f"}}]}
            """, Gemini);

        SameJson(expected, call.Body["toolConfig"]!["functionCallingConfig"]);
    }

    [Fact]
    public void json_mode_and_structured_output_are_native()
    {
        var schema = Translate(ClientApi.ChatCompletions, """
            {"model":"m","messages":[{"role":"user","content":"x"}],
             "response_format":{"type":"json_schema","json_schema":{"name":"p","schema":{"type":"object","properties":{"n":{"type":"string"}}}}}}
            """, Gemini);
        var json = Translate(ClientApi.ChatCompletions, """{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}}""", Gemini);

        SameJson("""{"responseMimeType":"application/json","responseJsonSchema":{"type":"object","properties":{"n":{"type":"string"}}}}""", schema.Body["generationConfig"]);
        SameJson("""{"responseMimeType":"application/json"}""", json.Body["generationConfig"]);
        Assert.Null(schema.JsonTool);
    }

    [Theory]
    [InlineData("""{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}""", "", "messages[0].content[0].image_url.url")]
    [InlineData("""{"role":"user","content":"x"}""", ",\"user\":\"u1\"", "user")]
    [InlineData("""{"role":"user","content":"x"}""", ",\"parallel_tool_calls\":false,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]", "parallel_tool_calls")]
    [InlineData("""{"role":"user","content":"x","name":"bob"}""", "", "messages[0].name")]
    public void what_gemini_cannot_take_is_refused_naming_it_and_a_url_image_is_never_fetched(string message, string extra, string param)
    {
        var refusal = Refuse(ClientApi.ChatCompletions, $$$"""{"model":"m","messages":[{{{message}}}]{{{extra}}}}""", Gemini);

        Assert.Equal(param, refusal.Param);
    }

    [Fact]
    public void candidates_become_choices_with_calls_named_by_the_gateway_and_thoughts_left_out()
    {
        var call = Translate(ClientApi.ChatCompletions, """{"model":"m","n":2,"messages":[{"role":"user","content":"x"}]}""", Gemini);

        var answer = Answer(call, """
            {"candidates":[
              {"index":0,"content":{"role":"model","parts":[{"text":"thinking...","thought":true},{"text":"Paris "},{"text":"is sunny."}]},"finishReason":"STOP"},
              {"index":1,"content":{"role":"model","parts":[{"functionCall":{"name":"weather","args":{"city":"Paris"}}}]},"finishReason":"STOP"}],
             "usageMetadata":{"promptTokenCount":100,"cachedContentTokenCount":40,"candidatesTokenCount":20,"thoughtsTokenCount":30,"totalTokenCount":150},
             "responseId":"r1"}
            """);

        var choices = answer["choices"]!.AsArray();
        Assert.Equal("Paris is sunny.", (string)choices[0]!["message"]!["content"]!);
        Assert.Equal("stop", (string)choices[0]!["finish_reason"]!);
        SameJson("""[{"id":"call_req1_0","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}}]""", choices[1]!["message"]!["tool_calls"]);
        Assert.Equal("tool_calls", (string)choices[1]!["finish_reason"]!);
        SameJson("""{"prompt_tokens":100,"completion_tokens":50,"total_tokens":150,"prompt_tokens_details":{"cached_tokens":40},"completion_tokens_details":{"reasoning_tokens":30}}""",
            answer["usage"]);
    }

    [Theory]
    [InlineData("MAX_TOKENS", "length")]
    [InlineData("SAFETY", "content_filter")]
    [InlineData("RECITATION", "content_filter")]
    [InlineData("STOP", "stop")]
    public void finish_reasons_map_to_openais(string reason, string finish)
    {
        var call = Translate(ClientApi.ChatCompletions, """{"model":"m","messages":[{"role":"user","content":"x"}]}""", Gemini);

        var answer = Answer(call, $$$"""{"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"{{{reason}}}"}]}""");

        Assert.Equal(finish, (string)answer["choices"]![0]!["finish_reason"]!);
    }

    [Fact]
    public void a_blocked_prompt_is_an_empty_choice_finished_by_the_content_filter()
    {
        var call = Translate(ClientApi.ChatCompletions, """{"model":"m","messages":[{"role":"user","content":"x"}]}""", Gemini);

        var answer = Answer(call, """{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":5}}""");

        Assert.Equal("content_filter", (string)answer["choices"]![0]!["finish_reason"]!);
        Assert.Equal(5, (int)answer["usage"]!["prompt_tokens"]!);
    }

    [Fact]
    public void an_sse_stream_becomes_chunks_with_whole_function_calls_finish_reason_and_usage()
    {
        var call = Translate(ClientApi.ChatCompletions, """{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}""", Gemini);
        var stream = Sse(
            (null, """{"candidates":[{"content":{"role":"model","parts":[{"text":"Let me"}]},"index":0}],"usageMetadata":{"promptTokenCount":9},"responseId":"r1"}"""),
            (null, """{"candidates":[{"content":{"role":"model","parts":[{"text":" check."}]},"index":0}],"usageMetadata":{"promptTokenCount":9}}"""),
            (null, """{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"weather","args":{"city":"Paris"}}}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":12,"totalTokenCount":21}}"""));

        var events = Events(Relay(call, stream));

        var deltas = events.Select(e => e.Data?["choices"]?.AsArray().FirstOrDefault()?["delta"]).ToList();
        SameJson("""{"role":"assistant","content":""}""", deltas[0]);
        SameJson("""{"content":"Let me"}""", deltas[1]);
        SameJson("""{"content":" check."}""", deltas[2]);
        SameJson("""{"tool_calls":[{"index":0,"id":"call_req1_0","type":"function","function":{"name":"weather","arguments":""}}]}""", deltas[3]);
        SameJson("""{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":\"Paris\"}"}}]}""", deltas[4]);
        Assert.Equal("tool_calls", (string)events[5].Data!["choices"]![0]!["finish_reason"]!);
        Assert.Equal(21, (int)events[6].Data!["usage"]!["total_tokens"]!);
        Assert.Equal("[DONE]", events[7].Raw);
    }

    [Theory]
    [InlineData(400, "INVALID_ARGUMENT", 400, "invalid_request_error")]
    [InlineData(429, "RESOURCE_EXHAUSTED", 429, "rate_limit_exceeded")]
    [InlineData(403, "PERMISSION_DENIED", 403, "permission_error")]
    [InlineData(503, "UNAVAILABLE", 503, "api_error")]
    public void a_google_error_becomes_openais_error_shape(int status, string grpc, int expectedStatus, string type)
    {
        var call = Translate(ClientApi.ChatCompletions, """{"model":"m","messages":[{"role":"user","content":"x"}]}""", Gemini);

        var (translated, body) = Translator.Error(call, status, Encoding.UTF8.GetBytes(
            $$$"""{"error":{"code":{{{status}}},"message":"Nope","status":"{{{grpc}}}"}}"""));

        Assert.Equal(expectedStatus, translated);
        SameJson($$$"""{"error":{"message":"Nope","type":"{{{type}}}","param":null,"code":"{{{grpc}}}"}}""", JsonNode.Parse(body));
    }
}
