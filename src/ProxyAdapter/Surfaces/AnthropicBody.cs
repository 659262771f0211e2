using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Usage;

namespace ProxyAdapter.Surfaces;

/// <summary>
/// What an Anthropic message may bill, read strictly: <c>max_tokens</c> (required, as Anthropic requires it),
/// <c>thinking.budget_tokens</c>, <c>system</c>, and the <c>messages</c>' content blocks. Images, documents and blocks
/// whose content is opaque to the gateway (redacted thinking, server-side search results) are counted as parts: their
/// tokens are not bounded by the bytes that carry them. A block of a type the gateway does not know is refused.
/// </summary>
internal static class AnthropicBody
{
    private static readonly FrozenSet<string> TextBlocks = FrozenSet.Create(
        "text", "thinking", "tool_use", "server_tool_use", "search_result");

    private static readonly FrozenSet<string> SystemBlocks = FrozenSet.Create("text");

    private static readonly FrozenSet<string> BilledBlocks = FrozenSet.Create(
        "image", "document", "redacted_thinking", "web_search_tool_result");

    public static InvalidParam? Read(JsonObject body, out RequestedUse use, out bool streaming)
    {
        use = RequestedUse.InputOnly;
        if (BodyFields.Flag(body, "stream", out streaming) is { } stream)
            return stream;
        if (body["max_tokens"] is null)
            return new InvalidParam("max_tokens", "missing_max_tokens", "Field required (a positive integer).");
        if (BodyFields.Integer(body, "max_tokens", 1, Pricing.MaxTokens, out var maxTokens) is { } invalidMax)
            return invalidMax;
        if (Thinking(body) is { } thinking)
            return thinking;
        if (System(body["system"]) is { } system)
            return system;
        if (BodyFields.Objects(body, "messages", out var messages) is { } invalidMessages)
            return invalidMessages;
        var parts = new PartTally();
        for (var i = 0; i < messages.Count; i++)
            if (Content(messages[i]!["content"], $"messages[{i}].content", parts, nested: false) is { } invalid)
                return invalid;
        use = new RequestedUse(maxTokens, 1, parts.Count) { OutputParam = "max_tokens", PartParam = parts.First ?? "messages" };
        return null;
    }

    /// <summary>Extended thinking spends output tokens within max_tokens; its budget is a number like any other.</summary>
    private static InvalidParam? Thinking(JsonObject body) => body["thinking"] switch
    {
        null => null,
        JsonObject thinking => BodyFields.Integer(thinking["budget_tokens"], "thinking.budget_tokens", 1, Pricing.MaxTokens, out _),
        var other => BodyFields.Expected("thinking", "an object", other),
    };

    /// <summary>The system prompt: a string, or text blocks only.</summary>
    private static InvalidParam? System(JsonNode? system) => system switch
    {
        null => null,
        JsonValue text when text.GetValueKind() == JsonValueKind.String => null,
        JsonArray blocks => BodyFields.Parts(blocks, "system", SystemBlocks, FrozenSet<string>.Empty, new PartTally()),
        _ => BodyFields.Expected("system", "a string or an array of text blocks", system),
    };

    /// <summary>A message's content, or a tool result's (<paramref name="nested"/>: one level deep, as Anthropic allows).</summary>
    private static InvalidParam? Content(JsonNode? content, string param, PartTally parts, bool nested) => content switch
    {
        JsonValue text when text.GetValueKind() == JsonValueKind.String => null,
        null when nested => null,
        JsonArray blocks => BodyFields.Parts(blocks, param, TextBlocks, BilledBlocks, parts,
            nested ? null : "tool_result", (result, at) => Content(result["content"], at + ".content", parts, nested: true)),
        _ => BodyFields.Expected(param, "a string or an array of content blocks", content),
    };
}
