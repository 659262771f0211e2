using System.Text.Json;

namespace ProxyAdapter.Translation.Anthropic;

/// <summary>An Anthropic message (the answer of POST /messages) as a <see cref="ChatAnswer"/>: text blocks joined, tool_use blocks as calls.</summary>
public static class AnthropicAnswerReader
{
    public static ChatAnswer? Read(JsonElement message)
    {
        if (message.ValueKind != JsonValueKind.Object || !Decoding.TryArray(message, "content", out var content))
            return null;
        string? text = null;
        var calls = new List<AnswerToolCall>();
        foreach (var block in content.EnumerateArray())
            switch (Decoding.String(block, "type"))
            {
                case "text":
                    text += Decoding.String(block, "text");
                    break;
                case "tool_use":
                    calls.Add(new AnswerToolCall(Decoding.String(block, "id") ?? "", Decoding.String(block, "name") ?? "",
                        block.TryGetProperty("input", out var input) ? input.GetRawText() : "{}"));
                    break;
            }
        var usage = message.TryGetProperty("usage", out var counts) ? Usage(counts) : (ProviderUsage?)null;
        return new ChatAnswer(Decoding.String(message, "id"), [new AnswerChoice(0, text, calls, FinishOf(Decoding.String(message, "stop_reason")))], usage);
    }

    /// <summary>Anthropic counts input without the cache; its cache reads and writes come beside it.</summary>
    public static ProviderUsage Usage(JsonElement usage) => ProviderUsage.FromUncached(
        Decoding.Count(usage, "input_tokens"), Decoding.Count(usage, "cache_read_input_tokens"),
        Decoding.Count(usage, "cache_creation_input_tokens"), Decoding.Count(usage, "output_tokens"));

    public static Finish FinishOf(string? stopReason) => stopReason switch
    {
        "max_tokens" or "model_context_window_exceeded" => Finish.Length,
        "tool_use" => Finish.ToolCalls,
        "refusal" => Finish.ContentFilter,
        _ => Finish.Stop, // end_turn, stop_sequence, pause_turn
    };
}
