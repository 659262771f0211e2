using System.Text.Json;
using Governance.Domain.Usage;

namespace ProxyAdapter.Streaming;

/// <summary>
/// OpenAI Responses stream events (<c>event: response.…</c>, each with its <c>sequence_number</c>): the usage is in the
/// response object of the last event (<c>response.completed</c>, <c>response.incomplete</c> or <c>response.failed</c>);
/// every <c>….delta</c> event's text (output, refusal, function arguments, reasoning) counts for the estimate of a stream
/// cut short. Everything is forwarded.
/// </summary>
public sealed class ResponsesObserver : IStreamObserver
{
    private TokenUsage? _reported;
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
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                return true;
            var name = type.GetString()!;
            if (name is "response.completed" or "response.incomplete" or "response.failed")
            {
                if (root.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object
                    && response.TryGetProperty("usage", out var usage) && ResponsesUsage.From(usage) is { } counts)
                    _reported = counts;
            }
            else if (name.EndsWith(".delta", StringComparison.Ordinal))
            {
                var bytes = Usage.TextBytes(root, "delta");
                _textBytes += bytes;
                if (bytes > 0)
                    _textChunks++;
            }
        }
        catch (JsonException)
        {
        }
        return true;
    }

    public StreamUsage Result(long inputBytes, long maxOutput) => _reported is { } usage
        ? new StreamUsage(usage, false)
        : new StreamUsage(new TokenUsage(Estimate.Tokens(inputBytes), 0, Estimate.Output(_textBytes, _textChunks, maxOutput), 0), true);
}
