using System.Text.Json;
using Governance.Domain.Usage;

namespace ProxyAdapter;

/// <summary>Token counts read from an OpenAI-style response's <c>usage</c> object.</summary>
public static class Usage
{
    private static readonly TokenUsage None = TokenUsage.None;


    public static TokenUsage Read(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("usage", out var usage)
                || usage.ValueKind != JsonValueKind.Object)
                return None;
            var input = Count(usage, "prompt_tokens");
            var output = Count(usage, "completion_tokens");
            // Details are parts of the totals; never let a malformed detail exceed its total.
            var cached = Math.Min(input, Detail(usage, "prompt_tokens_details", "cached_tokens"));
            var reasoning = Math.Min(output, Detail(usage, "completion_tokens_details", "reasoning_tokens"));
            return new TokenUsage(input, cached, output, reasoning);
        }
        catch (JsonException)
        {
            return None;
        }
    }

    private static long Detail(JsonElement usage, string details, string name) =>
        usage.TryGetProperty(details, out var element) && element.ValueKind == JsonValueKind.Object ? Count(element, name) : 0;

    private static long Count(JsonElement usage, string name) =>
        usage.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var count) && count >= 0 ? count : 0;
}
