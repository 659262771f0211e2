using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProxyAdapter.Translation.Responses;

/// <summary>One item of a response's <c>output</c>: the assistant's message (its text) or a function call (its arguments).</summary>
internal sealed class OutputItem(string id, string? callId, string? name)
{
    public string Id { get; } = id;
    public string? CallId { get; } = callId;
    public string? Name { get; } = name;
    public bool IsCall => CallId is not null;
    public StringBuilder Text { get; } = new();
    public bool Done { get; set; }
}

/// <summary>The Responses API's objects, written as its SDKs read them: the response, its output items, usage and errors.</summary>
internal static class ResponseWords
{
    /// <summary>
    /// The response object. <paramref name="status"/> is <c>in_progress</c> while streaming, then <c>completed</c>, or
    /// <c>incomplete</c> (with the reason) when the answer was cut by the token limit or the content filter.
    /// </summary>
    public static void Response(Utf8JsonWriter json, AnswerStamp stamp, JsonObject? echo, string status, Finish? finish,
        IReadOnlyList<OutputItem> output, ProviderUsage? usage)
    {
        json.WriteStartObject();
        json.WriteString("id", "resp_" + stamp.Id);
        json.WriteString("object", "response");
        json.WriteNumber("created_at", stamp.Created);
        json.WriteString("status", status);
        json.WriteNull("error");
        if (Incomplete(finish) is { } reason)
        {
            json.WriteStartObject("incomplete_details");
            json.WriteString("reason", reason);
            json.WriteEndObject();
        }
        else
            json.WriteNull("incomplete_details");
        json.WriteString("model", stamp.Model);
        json.WriteStartArray("output");
        foreach (var item in output)
            Item(json, item, "completed");
        json.WriteEndArray();
        foreach (var (name, value) in echo ?? [])
        {
            json.WritePropertyName(name);
            if (value is null)
                json.WriteNullValue();
            else
                value.WriteTo(json);
        }
        if (usage is { } counts)
            Usage(json, counts);
        else
            json.WriteNull("usage");
        json.WriteEndObject();
    }

    /// <summary>A response is <c>incomplete</c> when cut short; its status word.</summary>
    public static string Status(Finish finish) => Incomplete(finish) is null ? "completed" : "incomplete";

    private static string? Incomplete(Finish? finish) => finish switch
    {
        Finish.Length => "max_output_tokens",
        Finish.ContentFilter => "content_filter",
        _ => null,
    };

    public static void Item(Utf8JsonWriter json, OutputItem item, string status)
    {
        json.WriteStartObject();
        if (item.IsCall)
        {
            json.WriteString("type", "function_call");
            json.WriteString("id", item.Id);
            json.WriteString("call_id", item.CallId);
            json.WriteString("name", item.Name);
            json.WriteString("arguments", item.Text.ToString());
            json.WriteString("status", status);
        }
        else
        {
            json.WriteString("type", "message");
            json.WriteString("id", item.Id);
            json.WriteString("status", status);
            json.WriteString("role", "assistant");
            json.WriteStartArray("content");
            if (status == "completed")
                TextPart(json, item.Text.ToString());
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    public static void TextPart(Utf8JsonWriter json, string text)
    {
        json.WriteStartObject();
        json.WriteString("type", "output_text");
        json.WriteString("text", text);
        json.WriteStartArray("annotations");
        json.WriteEndArray();
        json.WriteStartArray("logprobs");
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary><c>"usage"</c>: input with its cached part, output with its reasoning part, and the total.</summary>
    public static void Usage(Utf8JsonWriter json, ProviderUsage usage)
    {
        json.WriteStartObject("usage");
        json.WriteNumber("input_tokens", usage.Input);
        json.WriteStartObject("input_tokens_details");
        json.WriteNumber("cached_tokens", usage.CacheRead);
        json.WriteEndObject();
        json.WriteNumber("output_tokens", usage.Output);
        json.WriteStartObject("output_tokens_details");
        json.WriteNumber("reasoning_tokens", usage.Reasoning);
        json.WriteEndObject();
        json.WriteNumber("total_tokens", usage.Input + usage.Output);
        json.WriteEndObject();
    }
}

/// <summary>A <see cref="ChatAnswer"/> as a Responses API response object (one choice: the Responses API has no <c>n</c>).</summary>
public static class ResponseWriter
{
    public static byte[] Write(ChatAnswer answer, AnswerStamp stamp, JsonObject? echo)
    {
        var choice = answer.Choices.FirstOrDefault() ?? new AnswerChoice(0, null, [], Finish.Stop);
        var output = new List<OutputItem>();
        if (!string.IsNullOrEmpty(choice.Text))
        {
            var message = new OutputItem("msg_" + stamp.Id, null, null);
            message.Text.Append(choice.Text);
            output.Add(message);
        }
        for (var i = 0; i < choice.ToolCalls.Count; i++)
        {
            var call = new OutputItem($"fc_{stamp.Id}_{i}", choice.ToolCalls[i].Id, choice.ToolCalls[i].Name);
            call.Text.Append(choice.ToolCalls[i].Arguments);
            output.Add(call);
        }
        return SseWriter.Document((answer, stamp, echo, choice, output), static (json, s) =>
            ResponseWords.Response(json, s.stamp, s.echo, ResponseWords.Status(s.choice.Finish), s.choice.Finish, s.output, s.answer.Usage));
    }
}
