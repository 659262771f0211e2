using System.Buffers;
using Governance.Domain.Usage;
using ProxyAdapter.Translation;

namespace ProxyAdapter.Streaming;

/// <summary>A provider's stream as the translation layer rewrites it for the client, and what it cost.</summary>
public sealed class TranslatedStream(IStreamTranslator translator)
{
    public IStreamTranslator Translator => translator;

    /// <summary>Bytes written to the client: without the provider's count, the output is estimated from them (an overestimate, capped).</summary>
    public long BytesOut { get; set; }

    public StreamUsage Result(long inputBytes, long maxOutput) => translator.Usage is { } usage
        ? new StreamUsage(usage.Tokens, false)
        : new StreamUsage(new TokenUsage(Estimate.Tokens(inputBytes), 0, Estimate.Output(BytesOut, 0, maxOutput), 0), true);
}

/// <summary>
/// <see cref="SseRelay"/> for a translated stream: each whole unit of the provider's stream (an SSE event) is fed to the
/// translator and what it writes is flushed at once. A provider stream that ends before its answer is whole (no finish for
/// every choice, no error event) is a broken one: the client's stream is not closed as if complete.
/// </summary>
public static class TranslatedRelay
{
    private const int InitialBuffer = 16 * 1024;

    public static async Task<RelayOutcome> RunAsync(
        Stream upstream, HttpResponse response, Action start, TranslatedStream stream, CancellationToken upstreamToken, CancellationToken clientToken)
    {
        var translator = stream.Translator;
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
        var output = new ArrayBufferWriter<byte>();
        var filled = 0;
        var sent = false;
        try
        {
            while (true)
            {
                PooledBuffer.GrowIfFull(ref buffer, filled);
                var (read, ended) = await SseRelay.ReadAsync(upstream, buffer.AsMemory(filled), sent, upstreamToken, clientToken);
                if (ended is { } end)
                    return end;

                if (read == 0)
                {
                    if (!translator.Finished && !translator.Failed)
                        return new RelayOutcome(RelayEnd.UpstreamBroken, sent, new IOException("The provider's stream ended before its answer was complete."));
                    translator.Complete(output);
                    await WriteAsync();
                    if (sent)
                        await response.Body.FlushAsync(clientToken);
                    return new RelayOutcome(RelayEnd.Completed, sent, null);
                }

                filled += read;
                var consumed = 0;
                int length;
                while ((length = translator.UnitLength(buffer.AsSpan(consumed, filled - consumed))) > 0)
                {
                    translator.Feed(buffer.AsMemory(consumed, length), output);
                    consumed += length;
                }
                if (await WriteAsync())
                    await response.Body.FlushAsync(clientToken);
                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                filled -= consumed;
            }
        }
        catch (Exception e) when (clientToken.IsCancellationRequested || e is IOException or OperationCanceledException)
        {
            return new RelayOutcome(RelayEnd.ClientGone, sent, null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        async Task<bool> WriteAsync()
        {
            if (output.WrittenCount == 0)
                return false;
            if (!sent)
            {
                start();
                sent = true;
            }
            stream.BytesOut += output.WrittenCount;
            await response.Body.WriteAsync(output.WrittenMemory, clientToken);
            output.ResetWrittenCount();
            return true;
        }
    }
}
