using System.Buffers;

namespace ProxyAdapter.Translation;

/// <summary>Writes <see cref="ChatEvent"/>s as the client's API streams them. One instance per stream.</summary>
public interface IStreamEncoder
{
    void Encode(ChatEvent e, IBufferWriter<byte> output);

    /// <summary>The provider's stream ended after a whole answer: the closing events (usage, <c>[DONE]</c>, <c>message_stop</c>, …).</summary>
    void Complete(ProviderUsage? usage, IBufferWriter<byte> output);
}
