using System.Text.Json;
using Governance.Domain.Usage;

namespace ProxyAdapter.Streaming;

/// <summary>What a relayed stream told us about its cost.</summary>
public readonly record struct StreamUsage(TokenUsage Usage, bool Estimated);

/// <summary>Watches a provider's stream event by event: reads usage, counts generated text for estimates, drops what the client must not see.</summary>
public interface IStreamObserver
{
    /// <summary>True to forward the event to the client unchanged, false to drop it.</summary>
    bool Observe(ReadOnlyMemory<byte> evt);

    /// <summary>The final usage: the provider's when it sent it, otherwise (partly) estimated.</summary>
    StreamUsage Result(long inputBytes, long maxOutput);
}

/// <summary>
/// OpenAI chat completion chunks. Usage arrives in a last chunk with <c>"choices":[]</c> when
/// <c>stream_options.include_usage</c> is on; when the gateway turned it on, that chunk is dropped.
/// </summary>
public sealed class OpenAiChatObserver(bool dropUsageChunk) : IStreamObserver
{
    private TokenUsage? _reported;
    private long _textBytes, _textChunks;

    public bool Observe(ReadOnlyMemory<byte> evt)
    {
        var data = Sse.Data(evt);
        if (data.Length == 0 || data.Span.SequenceEqual("[DONE]"u8))
            return true;
        try
        {
            using var doc = JsonDocument.Parse(data);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return true;
            var usageChunk = false;
            if (root.TryGetProperty("usage", out var usage) && Usage.From(usage) is { } reported)
            {
                _reported = reported;
                usageChunk = root.TryGetProperty("choices", out var c) && c.ValueKind == JsonValueKind.Array && c.GetArrayLength() == 0;
            }
            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
            {
                long bytes = 0;
                foreach (var choice in choices.EnumerateArray())
                    if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("delta", out var delta))
                        bytes += OpenAiText.Of(delta);
                _textBytes += bytes;
                if (bytes > 0)
                    _textChunks++;
            }
            return !(usageChunk && dropUsageChunk);
        }
        catch (JsonException)
        {
            return true;
        }
    }

    public StreamUsage Result(long inputBytes, long maxOutput) => _reported is { } usage
        ? new StreamUsage(usage, false)
        : new StreamUsage(new TokenUsage(Estimate.Tokens(inputBytes), 0, Estimate.Output(_textBytes, _textChunks, maxOutput), 0), true);
}

/// <summary>
/// Anthropic message events: <c>message_start</c> carries the input counts, <c>message_delta</c> the final output count.
/// Everything is forwarded.
/// </summary>
public sealed class AnthropicObserver : IStreamObserver
{
    private AnthropicCounts _counts = AnthropicCounts.None;
    private bool _started, _finished;
    private long _textBytes, _textChunks;

    public bool Observe(ReadOnlyMemory<byte> evt)
    {
        var data = Sse.Data(evt);
        if (data.Length == 0)
            return true;
        try
        {
            using var doc = JsonDocument.Parse(data);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type))
                return true;
            switch (type.GetString())
            {
                case "message_start" when root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object
                                          && message.TryGetProperty("usage", out var usage):
                    _counts = AnthropicUsage.Merge(_counts, usage);
                    _started = true;
                    break;
                case "message_delta" when root.TryGetProperty("usage", out var usage):
                    _counts = AnthropicUsage.Merge(_counts, usage);
                    _finished = true;
                    break;
                case "content_block_delta" when root.TryGetProperty("delta", out var delta):
                    var bytes = Usage.TextBytes(delta, "text") + Usage.TextBytes(delta, "thinking") + Usage.TextBytes(delta, "partial_json");
                    _textBytes += bytes;
                    if (bytes > 0)
                        _textChunks++;
                    break;
            }
        }
        catch (JsonException)
        {
        }
        return true;
    }

    public StreamUsage Result(long inputBytes, long maxOutput)
    {
        if (_finished)
            return new StreamUsage(_counts.Tokens, false);
        // Cut short: message_start's input counts are exact; output is what was reported or what we saw, whichever is more.
        var output = Math.Max(_counts.Output, Estimate.Output(_textBytes, _textChunks, maxOutput));
        var tokens = _started ? _counts.Tokens with { Output = output } : new TokenUsage(Estimate.Tokens(inputBytes), 0, output, 0);
        return new StreamUsage(tokens, true);
    }
}

/// <summary>Text a chat completion generated, in UTF-8 bytes: content, refusal, reasoning and tool-call arguments.</summary>
public static class OpenAiText
{
    /// <summary>Bytes of text in a streamed <c>delta</c> or a complete <c>message</c>.</summary>
    public static long Of(JsonElement message)
    {
        if (message.ValueKind != JsonValueKind.Object)
            return 0;
        var bytes = Usage.TextBytes(message, "content") + Usage.TextBytes(message, "refusal")
            + Usage.TextBytes(message, "reasoning_content") + Usage.TextBytes(message, "reasoning");
        if (message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
            foreach (var call in calls.EnumerateArray())
                if (call.ValueKind == JsonValueKind.Object && call.TryGetProperty("function", out var function))
                    bytes += Usage.TextBytes(function, "arguments");
        if (message.TryGetProperty("function_call", out var legacy))
            bytes += Usage.TextBytes(legacy, "arguments");
        return bytes;
    }
}
