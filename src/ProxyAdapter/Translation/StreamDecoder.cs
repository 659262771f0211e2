using ProxyAdapter.Streaming;

namespace ProxyAdapter.Translation;

/// <summary>
/// Reads a provider's stream unit by unit (an SSE event, or an AWS event-stream message) into <see cref="ChatEvent"/>s.
/// Holds the little state a stream needs (which block is which tool call, the usage so far); one instance per stream.
/// </summary>
public interface IStreamDecoder
{
    /// <summary>The length of the first whole unit in <paramref name="buffer"/>; -1 while it is incomplete.</summary>
    int UnitLength(ReadOnlySpan<byte> buffer);

    /// <summary>Appends the events of one whole unit to <paramref name="events"/>.</summary>
    void Decode(ReadOnlyMemory<byte> unit, List<ChatEvent> events);
}

/// <summary>Providers whose streams are server-sent events: the unit is one event, its data one JSON document.</summary>
public abstract class SseDecoder : IStreamDecoder
{
    public int UnitLength(ReadOnlySpan<byte> buffer) => Sse.EventLength(buffer);

    public void Decode(ReadOnlyMemory<byte> unit, List<ChatEvent> events)
    {
        var data = Sse.Data(unit);
        if (data.Length == 0)
            return;
        Data(data, events);
    }

    protected abstract void Data(ReadOnlyMemory<byte> data, List<ChatEvent> events);
}
