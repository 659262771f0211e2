using System.Text.Json;

namespace ProxyAdapter.Translation.Gemini;

/// <summary>
/// A Gemini <c>GenerateContentResponse</c> as a <see cref="ChatAnswer"/>: each candidate a choice, its text parts joined
/// (parts marked <c>thought</c> are the model's reasoning, not its answer, and are left out), its <c>functionCall</c> parts as
/// calls (Gemini gives them no id unless it has one: the gateway names them <c>call_{request id}_{n}</c>). A prompt Gemini
/// blocked has no candidates: one empty choice, finished by the content filter.
/// </summary>
public static class GeminiAnswerReader
{
    public static ChatAnswer? Read(JsonElement response, string callPrefix)
    {
        if (response.ValueKind != JsonValueKind.Object)
            return null;
        var choices = new List<AnswerChoice>();
        var calls = 0;
        if (Decoding.TryArray(response, "candidates", out var candidates))
            foreach (var candidate in candidates.EnumerateArray())
            {
                string? text = null;
                var toolCalls = new List<AnswerToolCall>();
                foreach (var part in Parts(candidate))
                {
                    if (Text(part) is { } t)
                        text += t;
                    if (Decoding.TryObject(part, "functionCall", out var call))
                        toolCalls.Add(Call(call, callPrefix, calls++));
                }
                choices.Add(new AnswerChoice(Index(candidate, choices.Count), text, toolCalls,
                    FinishOf(Decoding.String(candidate, "finishReason"), toolCalls.Count > 0)));
            }
        if (choices.Count == 0)
            choices.Add(new AnswerChoice(0, null, [], Finish.ContentFilter));
        var usage = Decoding.TryObject(response, "usageMetadata", out var metadata) ? Usage(metadata) : (ProviderUsage?)null;
        return new ChatAnswer(Decoding.String(response, "responseId"), choices, usage);
    }

    internal static IEnumerable<JsonElement> Parts(JsonElement candidate) =>
        Decoding.TryObject(candidate, "content", out var content) && Decoding.TryArray(content, "parts", out var parts)
            ? parts.EnumerateArray()
            : [];

    /// <summary>The answer's text in a part; null for a thought or a part without text.</summary>
    internal static string? Text(JsonElement part) =>
        part.TryGetProperty("thought", out var thought) && thought.ValueKind == JsonValueKind.True ? null : Decoding.String(part, "text");

    internal static AnswerToolCall Call(JsonElement call, string callPrefix, int n) => new(
        Decoding.String(call, "id") ?? $"call_{callPrefix}_{n}", Decoding.String(call, "name") ?? "",
        call.TryGetProperty("args", out var args) && args.ValueKind == JsonValueKind.Object ? args.GetRawText() : "{}");

    internal static int Index(JsonElement candidate, int fallback) =>
        candidate.TryGetProperty("index", out var index) && index.TryGetInt32(out var i) ? i : fallback;

    /// <summary>promptTokenCount includes cached content; thoughts are billed as output, and are its reasoning part.</summary>
    public static ProviderUsage Usage(JsonElement metadata)
    {
        var thoughts = Decoding.Count(metadata, "thoughtsTokenCount");
        return ProviderUsage.Of(
            checked(Decoding.Count(metadata, "promptTokenCount") + Decoding.Count(metadata, "toolUsePromptTokenCount")),
            Decoding.Count(metadata, "cachedContentTokenCount"), 0,
            checked(Decoding.Count(metadata, "candidatesTokenCount") + thoughts), thoughts);
    }

    public static Finish FinishOf(string? reason, bool calledTools) => reason switch
    {
        "MAX_TOKENS" => Finish.Length,
        "SAFETY" or "RECITATION" or "BLOCKLIST" or "PROHIBITED_CONTENT" or "SPII" or "IMAGE_SAFETY" => Finish.ContentFilter,
        _ when calledTools => Finish.ToolCalls,
        _ => Finish.Stop,
    };
}
