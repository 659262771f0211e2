using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace ProxyAdapter.Translation.Bedrock;

/// <summary>The type byte of an event-stream header value.</summary>
public enum HeaderType : byte
{
    True = 0,
    False = 1,
    Byte = 2,
    Short = 3,
    Int = 4,
    Long = 5,
    Bytes = 6,
    String = 7,
    Timestamp = 8,
    Uuid = 9,
}

/// <summary>One header: numbers (and timestamps, in epoch milliseconds) in <see cref="Number"/>, strings, byte arrays and UUIDs in <see cref="Bytes"/>.</summary>
public readonly record struct EventHeader(string Name, HeaderType Type, long Number, ReadOnlyMemory<byte> Bytes)
{
    public static EventHeader Text(string name, string value) => new(name, HeaderType.String, 0, Encoding.UTF8.GetBytes(value));

    public string? AsString => Type == HeaderType.String ? Encoding.UTF8.GetString(Bytes.Span) : null;
}

public sealed record EventMessage(IReadOnlyList<EventHeader> Headers, ReadOnlyMemory<byte> Payload)
{
    public string? Header(string name) => Headers.FirstOrDefault(h => h.Name == name).AsString;
}

/// <summary>
/// AWS's event-stream framing (<c>application/vnd.amazon.eventstream</c>), which Bedrock's ConverseStream answers in. A
/// message is: total length (4 bytes, big-endian), headers length (4), CRC-32 of those 8 bytes (the prelude CRC), the
/// headers (name length 1 byte, name, type 1 byte, value: fixed-size numbers, or 2-byte length and bytes), the payload, and
/// a CRC-32 of everything before it (the message CRC). Both CRCs are checked; a message that fails either is refused whole.
/// </summary>
public static class EventStream
{
    private const int PreludeLength = 12, CrcLength = 4, MinLength = PreludeLength + CrcLength;

    /// <summary>AWS's limits: a payload of at most 16 MiB, headers of at most 128 KiB.</summary>
    public const int MaxLength = MinLength + 16 * 1024 * 1024 + 128 * 1024;

    /// <summary>
    /// The length of the first whole message in <paramref name="buffer"/>; -1 while it is incomplete. When its prelude is
    /// corrupt (a length out of range, a wrong prelude CRC) the length returned is the prelude's, so that the caller hands
    /// <see cref="TryDecode"/> a unit it refuses, instead of waiting for a length that was never meant.
    /// </summary>
    public static int MessageLength(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length < PreludeLength)
            return -1;
        if (!PreludeValid(buffer, out var total))
            return PreludeLength;
        return buffer.Length < total ? -1 : total;
    }

    private static bool PreludeValid(ReadOnlySpan<byte> buffer, out int total)
    {
        var length = BinaryPrimitives.ReadUInt32BigEndian(buffer);
        var headers = BinaryPrimitives.ReadUInt32BigEndian(buffer[4..]);
        total = (int)Math.Min(length, int.MaxValue);
        return length is >= MinLength and <= MaxLength && headers <= length - MinLength
            && Crc32.HashToUInt32(buffer[..8]) == BinaryPrimitives.ReadUInt32BigEndian(buffer[8..]);
    }

    /// <summary>Decodes one whole message; null (and why) when its length, CRCs or headers are wrong.</summary>
    public static EventMessage? TryDecode(ReadOnlyMemory<byte> message, out string? error)
    {
        error = null;
        var span = message.Span;
        if (span.Length < MinLength || !PreludeValid(span, out var total) || total != span.Length)
        {
            error = "the message's prelude (lengths or prelude CRC) is invalid";
            return null;
        }
        if (Crc32.HashToUInt32(span[..^CrcLength]) != BinaryPrimitives.ReadUInt32BigEndian(span[^CrcLength..]))
        {
            error = "the message CRC does not match";
            return null;
        }
        var headersLength = (int)BinaryPrimitives.ReadUInt32BigEndian(span[4..]);
        var headers = ReadHeaders(message.Slice(PreludeLength, headersLength));
        if (headers is null)
        {
            error = "the message's headers are malformed";
            return null;
        }
        return new EventMessage(headers, message[(PreludeLength + headersLength)..^CrcLength]);
    }

    private static List<EventHeader>? ReadHeaders(ReadOnlyMemory<byte> block)
    {
        var headers = new List<EventHeader>();
        var at = 0;
        var span = block.Span;
        while (at < span.Length)
        {
            int nameLength = span[at++];
            if (nameLength == 0 || at + nameLength + 1 > span.Length)
                return null;
            var name = Encoding.UTF8.GetString(span.Slice(at, nameLength));
            at += nameLength;
            var type = (HeaderType)span[at++];
            int fixedSize = type switch
            {
                HeaderType.True or HeaderType.False => 0,
                HeaderType.Byte => 1,
                HeaderType.Short => 2,
                HeaderType.Int => 4,
                HeaderType.Long or HeaderType.Timestamp => 8,
                HeaderType.Uuid => 16,
                HeaderType.Bytes or HeaderType.String => -1,
                _ => -2,
            };
            if (fixedSize == -2)
                return null;
            if (fixedSize == -1)
            {
                if (at + 2 > span.Length)
                    return null;
                int length = BinaryPrimitives.ReadUInt16BigEndian(span[at..]);
                at += 2;
                if (at + length > span.Length)
                    return null;
                headers.Add(new EventHeader(name, type, 0, block.Slice(at, length)));
                at += length;
                continue;
            }
            if (at + fixedSize > span.Length)
                return null;
            var value = span.Slice(at, fixedSize);
            headers.Add(type switch
            {
                HeaderType.True => new EventHeader(name, type, 1, default),
                HeaderType.False => new EventHeader(name, type, 0, default),
                HeaderType.Byte => new EventHeader(name, type, value[0], default),
                HeaderType.Short => new EventHeader(name, type, BinaryPrimitives.ReadInt16BigEndian(value), default),
                HeaderType.Int => new EventHeader(name, type, BinaryPrimitives.ReadInt32BigEndian(value), default),
                HeaderType.Uuid => new EventHeader(name, type, 0, block.Slice(at, fixedSize)),
                _ => new EventHeader(name, type, BinaryPrimitives.ReadInt64BigEndian(value), default),
            });
            at += fixedSize;
        }
        return headers;
    }

    /// <summary>One message, framed and with both CRCs (what a stand-in Bedrock sends; the decoder's tests build on it).</summary>
    public static byte[] Encode(IReadOnlyList<EventHeader> headers, ReadOnlySpan<byte> payload)
    {
        var headerBytes = new List<byte>();
        Span<byte> number = stackalloc byte[8];
        foreach (var header in headers)
        {
            var name = Encoding.UTF8.GetBytes(header.Name);
            headerBytes.Add((byte)name.Length);
            headerBytes.AddRange(name);
            headerBytes.Add((byte)header.Type);
            switch (header.Type)
            {
                case HeaderType.True or HeaderType.False:
                    break;
                case HeaderType.Byte:
                    headerBytes.Add((byte)header.Number);
                    break;
                case HeaderType.Short:
                    BinaryPrimitives.WriteInt16BigEndian(number, (short)header.Number);
                    headerBytes.AddRange(number[..2]);
                    break;
                case HeaderType.Int:
                    BinaryPrimitives.WriteInt32BigEndian(number, (int)header.Number);
                    headerBytes.AddRange(number[..4]);
                    break;
                case HeaderType.Long or HeaderType.Timestamp:
                    BinaryPrimitives.WriteInt64BigEndian(number, header.Number);
                    headerBytes.AddRange(number);
                    break;
                case HeaderType.Uuid:
                    headerBytes.AddRange(header.Bytes.Span);
                    break;
                default:
                    BinaryPrimitives.WriteUInt16BigEndian(number, checked((ushort)header.Bytes.Length));
                    headerBytes.AddRange(number[..2]);
                    headerBytes.AddRange(header.Bytes.Span);
                    break;
            }
        }
        var total = checked(MinLength + headerBytes.Count + payload.Length);
        var message = new byte[total];
        BinaryPrimitives.WriteUInt32BigEndian(message, (uint)total);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(4), (uint)headerBytes.Count);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(8), Crc32.HashToUInt32(message.AsSpan(0, 8)));
        headerBytes.CopyTo(message, PreludeLength);
        payload.CopyTo(message.AsSpan(PreludeLength + headerBytes.Count));
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(total - CrcLength), Crc32.HashToUInt32(message.AsSpan(0, total - CrcLength)));
        return message;
    }
}
