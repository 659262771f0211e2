using System.Text.Json;

namespace ProxyAdapter;

/// <summary>Token counts read from an OpenAI-style response's <c>usage</c> object.</summary>
public readonly record struct Usage(long InputTokens, long OutputTokens)
{
    public static readonly Usage None = new(0, 0);

    public static Usage Read(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("usage", out var usage)
                || usage.ValueKind != JsonValueKind.Object)
                return None;
            return new Usage(Count(usage, "prompt_tokens"), Count(usage, "completion_tokens"));
        }
        catch (JsonException)
        {
            return None;
        }
    }

    private static long Count(JsonElement usage, string name) =>
        usage.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var count) && count >= 0 ? count : 0;
}
