using System.Buffers;

namespace ProxyAdapter.Streaming;

public enum RelayEnd
{
    /// <summary>The provider ended its stream.</summary>
    Completed,
    /// <summary>The client went away; the upstream read was cancelled with it.</summary>
    ClientGone,
    /// <summary>The provider's stream broke (connection reset, malformed chunked body).</summary>
    UpstreamBroken,
}

public readonly record struct RelayOutcome(RelayEnd End, bool BytesSent, Exception? Error);

/// <summary>
/// Relays a provider's event stream to the client as it arrives: every complete event is written unchanged (unless the
/// observer drops it) and flushed at once — no batching, no timer. A partial event waits only for its own end.
/// The response is started (<paramref name="start"/>) just before the first byte is written, so until then the caller may
/// still answer differently, e.g. retry another deployment.
/// </summary>
public static class SseRelay
{
    private const int InitialBuffer = 16 * 1024;

    public static async Task<RelayOutcome> RunAsync(
        Stream upstream, HttpResponse response, Action start, IStreamObserver observer, CancellationToken upstreamToken, CancellationToken clientToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
        var filled = 0;
        var sent = false;
        try
        {
            while (true)
            {
                PooledBuffer.GrowIfFull(ref buffer, filled);

                var (read, ended) = await ReadAsync(upstream, buffer.AsMemory(filled), sent, upstreamToken, clientToken);
                if (ended is { } end)
                    return end;

                if (read == 0)
                {
                    // A trailing fragment without its blank line is still the provider's bytes: pass it on as is.
                    if (filled > 0)
                        await WriteAsync(buffer.AsMemory(0, filled));
                    if (sent)
                        await response.Body.FlushAsync(clientToken);
                    return new RelayOutcome(RelayEnd.Completed, sent, null);
                }

                filled += read;
                var consumed = 0;
                var wrote = false;
                int length;
                while ((length = Sse.EventLength(buffer.AsSpan(consumed, filled - consumed))) > 0)
                {
                    var evt = buffer.AsMemory(consumed, length);
                    if (observer.Observe(evt))
                    {
                        await WriteAsync(evt);
                        wrote = true;
                    }
                    consumed += length;
                }
                if (wrote)
                    await response.Body.FlushAsync(clientToken);
                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                filled -= consumed;
            }
        }
        catch (Exception e) when (clientToken.IsCancellationRequested || e is IOException or OperationCanceledException)
        {
            // Writing to (or flushing) a client that left.
            return new RelayOutcome(RelayEnd.ClientGone, sent, null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        async Task WriteAsync(ReadOnlyMemory<byte> bytes)
        {
            if (!sent)
            {
                start();
                sent = true;
            }
            await response.Body.WriteAsync(bytes, clientToken);
        }
    }

    /// <summary>One read of the provider's stream, or how the relay ends when it failed: the client left, or the stream broke.</summary>
    internal static async ValueTask<(int Read, RelayOutcome? Ended)> ReadAsync(
        Stream upstream, Memory<byte> into, bool sent, CancellationToken upstreamToken, CancellationToken clientToken)
    {
        try
        {
            return (await upstream.ReadAsync(into, upstreamToken), null);
        }
        catch (Exception) when (clientToken.IsCancellationRequested)
        {
            return (0, new RelayOutcome(RelayEnd.ClientGone, sent, null));
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
        {
            return (0, new RelayOutcome(RelayEnd.UpstreamBroken, sent, e));
        }
    }
}
