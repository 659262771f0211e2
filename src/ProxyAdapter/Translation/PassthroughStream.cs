using System.Buffers;

namespace ProxyAdapter.Translation;

/// <summary>
/// A provider stream in the client's own API: each unit is written out unchanged, while the provider's decoder still
/// reads it for <see cref="Usage"/>, <see cref="Finished"/> and <see cref="Failed"/>, so the pipeline drives every stream
/// the same way. Nothing is added at the end: the provider's own stream carried its end.
/// </summary>
public sealed class PassthroughStream(IStreamDecoder decoder, int choices) : IStreamTranslator
{
    private readonly StreamTranslator _reader = new(decoder, Silent.Instance, choices, jsonTool: null);

    public ProviderUsage? Usage => _reader.Usage;
    public bool Finished => _reader.Finished;
    public bool Failed => _reader.Failed;

    public int UnitLength(ReadOnlySpan<byte> buffer) => _reader.UnitLength(buffer);

    public void Feed(ReadOnlyMemory<byte> unit, IBufferWriter<byte> output)
    {
        output.Write(unit.Span);
        _reader.Feed(unit, output);
    }

    public void Complete(IBufferWriter<byte> output)
    {
    }

    private sealed class Silent : IStreamEncoder
    {
        public static readonly Silent Instance = new();

        public void Encode(ChatEvent e, IBufferWriter<byte> output)
        {
        }

        public void Complete(ProviderUsage? usage, IBufferWriter<byte> output)
        {
        }
    }
}
