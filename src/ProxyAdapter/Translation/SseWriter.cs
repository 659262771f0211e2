using System.Buffers;
using System.Text.Json;

namespace ProxyAdapter.Translation;

/// <summary>
/// Writes server-sent events straight into the response's buffer: <c>event: {name}\n</c> when named, <c>data: {json}\n\n</c>.
/// One <see cref="Utf8JsonWriter"/> is reused for the stream's life.
/// </summary>
public sealed class SseWriter
{
    private static readonly JsonWriterOptions Options = new() { Indented = false, SkipValidation = true };
    private readonly Utf8JsonWriter _json = new(new ArrayBufferWriter<byte>(1), Options);

    /// <summary>Writes one event whose data is the JSON <paramref name="write"/> produces.</summary>
    public void Event<TState>(IBufferWriter<byte> output, string? name, TState state, Action<Utf8JsonWriter, TState> write)
    {
        if (name is not null)
        {
            Raw(output, "event: "u8);
            System.Text.EncodingExtensions.GetBytes(System.Text.Encoding.UTF8, name.AsSpan(), output);
            Raw(output, "\n"u8);
        }
        Raw(output, "data: "u8);
        _json.Reset(output);
        write(_json, state);
        _json.Flush();
        Raw(output, "\n\n"u8);
    }

    public static void Raw(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes) => output.Write(bytes);

    /// <summary>A whole JSON document written to a byte array (a complete answer).</summary>
    public static byte[] Document<TState>(TState state, Action<Utf8JsonWriter, TState> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, Options))
            write(json, state);
        return buffer.WrittenSpan.ToArray();
    }
}
