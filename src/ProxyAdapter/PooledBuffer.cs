using System.Buffers;

namespace ProxyAdapter;

/// <summary>Byte buffers rented from the shared pool that grow when a frame or item does not fit.</summary>
internal static class PooledBuffer
{
    /// <summary>A full <paramref name="buffer"/> is swapped for one twice its size holding its first <paramref name="filled"/> bytes.</summary>
    public static void GrowIfFull(ref byte[] buffer, int filled)
    {
        if (filled < buffer.Length)
            return;
        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
        buffer.AsSpan(0, filled).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = larger;
    }
}
