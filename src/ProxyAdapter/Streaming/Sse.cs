namespace ProxyAdapter.Streaming;

/// <summary>Server-sent events framing: an event ends at a blank line (after "\n\n", "\r\n\r\n" or "\r\r").</summary>
public static class Sse
{
    /// <summary>The length of the first complete event in <paramref name="buffer"/>, its blank line included; -1 when incomplete.</summary>
    public static int EventLength(ReadOnlySpan<byte> buffer)
    {
        for (var i = 0; i < buffer.Length - 1; i++)
        {
            if (buffer[i] == '\n' && buffer[i + 1] == '\n')
                return i + 2;
            if (buffer[i] == '\n' && buffer[i + 1] == '\r')
            {
                if (i + 2 >= buffer.Length)
                    return -1;
                if (buffer[i + 2] == '\n')
                    return i + 3;
            }
            if (buffer[i] == '\r' && buffer[i + 1] == '\r')
                return i + 2;
        }
        return -1;
    }

    /// <summary>The event's data: its <c>data:</c> lines (one leading space dropped) joined by "\n"; empty when it has none.</summary>
    public static ReadOnlyMemory<byte> Data(ReadOnlyMemory<byte> evt)
    {
        ReadOnlyMemory<byte> first = default;
        List<byte>? joined = null;
        var found = 0;
        var rest = evt;
        while (rest.Length > 0)
        {
            var span = rest.Span;
            var end = span.IndexOfAny((byte)'\r', (byte)'\n');
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? default : rest[(end + (span[end] == '\r' && end + 1 < span.Length && span[end + 1] == '\n' ? 2 : 1))..];
            if (!line.Span.StartsWith("data:"u8))
                continue;
            var value = line[5..];
            if (value.Length > 0 && value.Span[0] == ' ')
                value = value[1..];
            if (++found == 1)
            {
                first = value;
                continue;
            }
            joined ??= [.. first.Span];
            joined.Add((byte)'\n');
            joined.AddRange(value.Span);
        }
        return joined is null ? first : joined.ToArray();
    }
}
