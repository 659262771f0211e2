using System.Text.Json;

namespace ProxyAdapter.Translation.Chat;

/// <summary>A <see cref="ChatAnswer"/> as OpenAI's <c>chat.completion</c> object, for clients of /v1/chat/completions.</summary>
public static class ChatCompletionWriter
{
    public static byte[] Write(ChatAnswer answer, AnswerStamp stamp) => SseWriter.Document((answer, stamp), static (json, s) =>
    {
        var (answer, stamp) = s;
        json.WriteStartObject();
        json.WriteString("id", "chatcmpl-" + stamp.Id);
        json.WriteString("object", "chat.completion");
        json.WriteNumber("created", stamp.Created);
        json.WriteString("model", stamp.Model);
        json.WriteStartArray("choices");
        foreach (var choice in answer.Choices)
        {
            json.WriteStartObject();
            json.WriteNumber("index", choice.Index);
            json.WriteStartObject("message");
            json.WriteString("role", "assistant");
            if (choice.Text is null)
                json.WriteNull("content");
            else
                json.WriteString("content", choice.Text);
            json.WriteNull("refusal");
            if (choice.ToolCalls.Count > 0)
                ToolCalls(json, choice.ToolCalls);
            json.WriteEndObject();
            json.WriteNull("logprobs");
            json.WriteString("finish_reason", OpenAiWords.Finish(choice.Finish));
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (answer.Usage is { } usage)
            OpenAiWords.Usage(json, usage);
        json.WriteEndObject();
    });

    private static void ToolCalls(Utf8JsonWriter json, IReadOnlyList<AnswerToolCall> calls)
    {
        json.WriteStartArray("tool_calls");
        foreach (var call in calls)
        {
            json.WriteStartObject();
            json.WriteString("id", call.Id);
            json.WriteString("type", "function");
            json.WriteStartObject("function");
            json.WriteString("name", call.Name);
            json.WriteString("arguments", call.Arguments);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }
}
