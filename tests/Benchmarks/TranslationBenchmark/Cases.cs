using System.Text;
using ProxyAdapter.Translation;
using ProxyAdapter.Translation.Bedrock;

namespace TranslationBenchmark;

/// <summary>
/// One translated pair: a client body, the target, a provider answer, and a provider stream cut into its units (SSE events
/// or event-stream frames). Bodies are small and typical: a system prompt, three turns, one tool.
/// </summary>
internal sealed record Case(string Name, ClientApi Api, ModelTarget Target, byte[] Request, byte[] Answer, IReadOnlyList<byte[]> Stream)
{
    private const string Tools = """[{"type":"function","function":{"name":"weather","description":"Current weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]""";

    private const string Chat = $$"""
        {"model":"m","messages":[{"role":"system","content":"You are a concise assistant. Answer in one paragraph."},
         {"role":"user","content":"What is the capital of France, and what is the weather there today?"},
         {"role":"assistant","content":"Paris. Let me check the weather."},{"role":"user","content":"Thanks, please do."}],
         "temperature":0.7,"max_tokens":256,"stream":STREAM,"tools":{{Tools}}}
        """;

    private static byte[] U(string s) => Encoding.UTF8.GetBytes(s);

    private static IReadOnlyList<byte[]> Sse(IEnumerable<string> data, string? eventName = null) =>
        [.. data.Select(d => U((eventName is null ? "" : $"event: {eventName}\n") + $"data: {d}\n\n"))];

    private const int Deltas = 50;
    private static IEnumerable<string> Words => Enumerable.Range(0, Deltas).Select(i => $"word{i} ");

    public static IReadOnlyList<Case> All(bool stream)
    {
        var chat = U(Chat.Replace("STREAM", stream ? "true" : "false"));
        var openAiChunks = Sse([.. Words.Select(w => $$$$"""{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"{{{{w}}}}"},"finish_reason":null}]}"""),
            """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}""",
            """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":60,"completion_tokens":50,"total_tokens":110}}""", "[DONE]"]);
        var openAiAnswer = U("""{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Paris is sunny today, 24 degrees."},"finish_reason":"stop"}],"usage":{"prompt_tokens":60,"completion_tokens":12,"total_tokens":72}}""");
        return
        [
            new("azure-openai (passthrough)", ClientApi.ChatCompletions, new ModelTarget(TargetKinds.AzureOpenAi, "prod") { AzureApiVersion = "2024-10-21" },
                chat, openAiAnswer, openAiChunks),
            new("anthropic", ClientApi.ChatCompletions, new ModelTarget(TargetKinds.Anthropic, "claude-sonnet-4-5"), chat,
                U("""{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[{"type":"text","text":"Paris is sunny today, 24 degrees."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":60,"cache_read_input_tokens":0,"cache_creation_input_tokens":0,"output_tokens":12}}"""),
                [
                    .. Sse(["""{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude","usage":{"input_tokens":60,"output_tokens":1}}}"""], "message_start"),
                    .. Sse(["""{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"""], "content_block_start"),
                    .. Sse([.. Words.Select(w => $$$$"""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"{{{{w}}}}"}}""")], "content_block_delta"),
                    .. Sse(["""{"type":"content_block_stop","index":0}"""], "content_block_stop"),
                    .. Sse(["""{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":50}}"""], "message_delta"),
                    .. Sse(["""{"type":"message_stop"}"""], "message_stop"),
                ]),
            new("gemini", ClientApi.ChatCompletions, new ModelTarget(TargetKinds.Gemini, "gemini-2.5-flash"), chat,
                U("""{"candidates":[{"content":{"parts":[{"text":"Paris is sunny today, 24 degrees."}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":60,"candidatesTokenCount":12,"totalTokenCount":72},"responseId":"r"}"""),
                Sse([.. Words.Select((w, i) => $$$$"""{"candidates":[{"content":{"parts":[{"text":"{{{{w}}}}"}],"role":"model"}{{{{(i == Deltas - 1 ? ",\"finishReason\":\"STOP\"" : "")}}}},"index":0}],"usageMetadata":{"promptTokenCount":60,"candidatesTokenCount":{{{{i + 1}}}},"totalTokenCount":{{61 + i}}},"responseId":"r"}""")])),
            new("bedrock", ClientApi.ChatCompletions, new ModelTarget(TargetKinds.Bedrock, "anthropic.claude-3-5-sonnet-20240620-v1:0") { AwsRegion = "us-east-1" }, chat,
                U("""{"output":{"message":{"role":"assistant","content":[{"text":"Paris is sunny today, 24 degrees."}]}},"stopReason":"end_turn","usage":{"inputTokens":60,"outputTokens":12,"totalTokens":72},"metrics":{"latencyMs":100}}"""),
                [
                    Frame("messageStart", """{"role":"assistant"}"""),
                    .. Words.Select(w => Frame("contentBlockDelta", $$$$"""{"contentBlockIndex":0,"delta":{"text":"{{{{w}}}}"},"p":"abcdefgh"}""")),
                    Frame("contentBlockStop", """{"contentBlockIndex":0}"""), Frame("messageStop", """{"stopReason":"end_turn"}"""),
                    Frame("metadata", """{"usage":{"inputTokens":60,"outputTokens":50,"totalTokens":110},"metrics":{"latencyMs":100}}"""),
                ]),
            new("messages -> openai", ClientApi.Messages, new ModelTarget(TargetKinds.OpenAi, "gpt-4.1"),
                U($$$$$"""{"model":"m","max_tokens":256,"stream":{{{{{(stream ? "true" : "false")}}}}},"system":"You are a concise assistant.","messages":[{"role":"user","content":"What is the capital of France?"},{"role":"assistant","content":"Paris."},{"role":"user","content":"Weather there?"}],"tools":[{"name":"weather","description":"Current weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}]}"""),
                openAiAnswer, openAiChunks),
            new("responses -> anthropic", ClientApi.Responses, new ModelTarget(TargetKinds.Anthropic, "claude-sonnet-4-5"),
                U($$$$"""{"model":"m","instructions":"You are a concise assistant.","input":[{"role":"user","content":"What is the capital of France?"},{"role":"assistant","content":"Paris."},{"role":"user","content":"Weather there?"}],"max_output_tokens":256,"stream":{{{{(stream ? "true" : "false")}}}}}"""),
                U("""{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[{"type":"text","text":"Paris is sunny today, 24 degrees."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":60,"output_tokens":12}}"""),
                [
                    .. Sse(["""{"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":60,"output_tokens":1}}}"""], "message_start"),
                    .. Sse([.. Words.Select(w => $$$$"""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"{{{{w}}}}"}}""")], "content_block_delta"),
                    .. Sse(["""{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":50}}"""], "message_delta"),
                ]),
        ];
    }

    private static byte[] Frame(string type, string payload) => EventStream.Encode(
        [EventHeader.Text(":event-type", type), EventHeader.Text(":content-type", "application/json"), EventHeader.Text(":message-type", "event")],
        Encoding.UTF8.GetBytes(payload));
}
