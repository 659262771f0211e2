using System.Text.Json;

namespace ProxyAdapter.Translation.Bedrock;

/// <summary>
/// A Converse response (<c>{output:{message:{content}}, stopReason, usage}</c>) as a <see cref="ChatAnswer"/>: text blocks
/// joined, <c>toolUse</c> blocks as calls, reasoning blocks left out (they are not the answer).
/// </summary>
public static class BedrockAnswerReader
{
    public static ChatAnswer? Read(JsonElement response)
    {
        if (!Decoding.TryObject(response, "output", out var output) || !Decoding.TryObject(output, "message", out var message)
            || !Decoding.TryArray(message, "content", out var content))
            return null;
        string? text = null;
        var calls = new List<AnswerToolCall>();
        foreach (var block in content.EnumerateArray())
        {
            if (Decoding.String(block, "text") is { } t)
                text += t;
            if (Decoding.TryObject(block, "toolUse", out var use))
                calls.Add(new AnswerToolCall(Decoding.String(use, "toolUseId") ?? "", Decoding.String(use, "name") ?? "",
                    use.TryGetProperty("input", out var input) ? input.GetRawText() : "{}"));
        }
        var usage = Decoding.TryObject(response, "usage", out var counts) ? Usage(counts) : (ProviderUsage?)null;
        return new ChatAnswer(null, [new AnswerChoice(0, text, calls, FinishOf(Decoding.String(response, "stopReason")))], usage);
    }

    /// <summary>Bedrock's <c>inputTokens</c> leaves out the cache reads and writes it reports beside it, as Anthropic's does.</summary>
    public static ProviderUsage Usage(JsonElement usage) => ProviderUsage.FromUncached(
        Decoding.Count(usage, "inputTokens"), Decoding.Count(usage, "cacheReadInputTokens"),
        Decoding.Count(usage, "cacheWriteInputTokens"), Decoding.Count(usage, "outputTokens"));

    public static Finish FinishOf(string? stopReason) => stopReason switch
    {
        "max_tokens" or "model_context_window_exceeded" => Finish.Length,
        "tool_use" => Finish.ToolCalls,
        "guardrail_intervened" or "content_filtered" => Finish.ContentFilter,
        _ => Finish.Stop,
    };
}
