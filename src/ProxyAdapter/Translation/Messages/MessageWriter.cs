using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProxyAdapter.Translation.Messages;

/// <summary>A <see cref="ChatAnswer"/> as Anthropic's message object, for clients of /v1/messages (one choice: Anthropic has no <c>n</c>).</summary>
public static class MessageWriter
{
    /// <summary>The message; null when a tool call's arguments are not a JSON object (Anthropic's <c>input</c> must be one).</summary>
    public static byte[]? Write(ChatAnswer answer, AnswerStamp stamp)
    {
        var choice = answer.Choices.FirstOrDefault() ?? new AnswerChoice(0, null, [], Finish.Stop);
        var inputs = new List<JsonObject>();
        foreach (var call in choice.ToolCalls)
        {
            if (ParseInput(call.Arguments) is not { } input)
                return null;
            inputs.Add(input);
        }
        return SseWriter.Document((answer, stamp, choice, inputs), static (json, s) =>
        {
            var (answer, stamp, choice, inputs) = s;
            json.WriteStartObject();
            json.WriteString("id", "msg_" + stamp.Id);
            json.WriteString("type", "message");
            json.WriteString("role", "assistant");
            json.WriteString("model", stamp.Model);
            json.WriteStartArray("content");
            if (!string.IsNullOrEmpty(choice.Text))
            {
                json.WriteStartObject();
                json.WriteString("type", "text");
                json.WriteString("text", choice.Text);
                json.WriteEndObject();
            }
            for (var i = 0; i < choice.ToolCalls.Count; i++)
            {
                json.WriteStartObject();
                json.WriteString("type", "tool_use");
                json.WriteString("id", choice.ToolCalls[i].Id);
                json.WriteString("name", choice.ToolCalls[i].Name);
                json.WritePropertyName("input");
                inputs[i].WriteTo(json);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteString("stop_reason", AnthropicWords.StopReason(choice.Finish));
            json.WriteNull("stop_sequence");
            AnthropicWords.Usage(json, answer.Usage ?? default);
            json.WriteEndObject();
        });
    }

    internal static JsonObject? ParseInput(string arguments)
    {
        if (string.IsNullOrWhiteSpace(arguments))
            return [];
        try
        {
            return JsonNode.Parse(arguments) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
