using System.Text;
using System.Text.Json;
using Governance.Domain.Usage;

namespace ProxyAdapter;

/// <summary>Token counts read from an OpenAI-style response's <c>usage</c> object.</summary>
public static class Usage
{
    public static TokenUsage Read(ReadOnlySpan<byte> json) => TryRead(json) ?? TokenUsage.None;

    /// <summary>The response's usage, or null when it has none (then the gateway estimates).</summary>
    public static TokenUsage? TryRead(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("usage", out var usage)
                ? From(usage)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>OpenAI's usage object; null when it is not an object (streamed chunks carry <c>"usage":null</c>).</summary>
    public static TokenUsage? From(JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object)
            return null;
        var input = Count(usage, "prompt_tokens");
        var output = Count(usage, "completion_tokens");
        // Details are parts of the totals; never let a malformed detail exceed its total.
        var cached = Math.Min(input, Detail(usage, "prompt_tokens_details", "cached_tokens"));
        var reasoning = Math.Min(output, Detail(usage, "completion_tokens_details", "reasoning_tokens"));
        return new TokenUsage(input, cached, output, reasoning);
    }

    private static long Detail(JsonElement usage, string details, string name) =>
        usage.TryGetProperty(details, out var element) && element.ValueKind == JsonValueKind.Object ? Count(element, name) : 0;

    /// <summary>
    /// A count as the provider reported it: 0 when it is missing, negative or not an integer; at most
    /// <see cref="Pricing.MaxTokens"/> (what the ledger accepts), so sums of counts cannot wrap around.
    /// </summary>
    internal static long Count(JsonElement usage, string name) =>
        usage.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var count) && count >= 0
            ? Math.Min(count, Pricing.MaxTokens)
            : 0;

    /// <summary>UTF-8 bytes of a string property (0 when absent or not a string): what estimates count.</summary>
    internal static long TextBytes(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? Encoding.UTF8.GetByteCount(value.GetString()!)
            : 0;
}

/// <summary>
/// OpenAI Responses' usage (a response object's <c>usage</c>, also in a stream's <c>response.completed</c>):
/// <c>input_tokens</c> with <c>input_tokens_details.cached_tokens</c>, <c>output_tokens</c> with
/// <c>output_tokens_details.reasoning_tokens</c>.
/// </summary>
public static class ResponsesUsage
{
    public static TokenUsage? From(JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object)
            return null;
        var input = Usage.Count(usage, "input_tokens");
        var output = Usage.Count(usage, "output_tokens");
        return new TokenUsage(input, Math.Min(input, Detail(usage, "input_tokens_details", "cached_tokens")),
            output, Math.Min(output, Detail(usage, "output_tokens_details", "reasoning_tokens")));
    }

    /// <summary>A response object's usage, or null when it has none (then the gateway estimates).</summary>
    public static TokenUsage? TryRead(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("usage", out var usage) ? From(usage) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static long Detail(JsonElement usage, string details, string name) =>
        usage.TryGetProperty(details, out var element) && element.ValueKind == JsonValueKind.Object ? Usage.Count(element, name) : 0;
}

/// <summary>
/// Anthropic's usage: <c>input_tokens</c> excludes cache reads and writes, which are reported beside it. In our
/// OpenAI-style counts, input is all three and cached is the cache reads.
/// </summary>
public static class AnthropicUsage
{
    /// <summary>The fields present in <paramref name="usage"/> over <paramref name="seen"/> (a message_delta repeats only some).</summary>
    public static AnthropicCounts Merge(AnthropicCounts seen, JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object)
            return seen;
        long Field(string name, long current) => usage.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? Usage.Count(usage, name) : current;
        return new AnthropicCounts(
            Field("input_tokens", seen.Input), Field("cache_read_input_tokens", seen.CacheRead),
            Field("cache_creation_input_tokens", seen.CacheCreation), Field("output_tokens", seen.Output));
    }

    /// <summary>A non-streaming message's usage, or null when it has none.</summary>
    public static TokenUsage? TryRead(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("usage", out var usage)
                && usage.ValueKind == JsonValueKind.Object
                ? Merge(AnthropicCounts.None, usage).Tokens
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

public readonly record struct AnthropicCounts(long Input, long CacheRead, long CacheCreation, long Output)
{
    public static readonly AnthropicCounts None = new(0, 0, 0, 0);

    public TokenUsage Tokens
    {
        get
        {
            var input = Math.Min(checked(Input + CacheRead + CacheCreation), Pricing.MaxTokens);
            return new TokenUsage(input, Math.Min(CacheRead, input), Output, 0);
        }
    }
}

/// <summary>
/// The gateway's estimate when the provider's count is missing (docs/gateway.md, "Estimates"): a token per 4 UTF-8 bytes,
/// rounded up — of the request body as the client sent it for input, and of the generated text for output. Output is at
/// least one token per streamed chunk that carried text, and never more than the request's output cap.
/// </summary>
public static class Estimate
{
    public const int BytesPerToken = 4;

    public static long Tokens(long bytes) => (bytes + BytesPerToken - 1) / BytesPerToken;

    public static long Output(long textBytes, long textChunks, long cap) =>
        Math.Min(Math.Max(Tokens(textBytes), textChunks), cap > 0 ? cap : long.MaxValue);
}
