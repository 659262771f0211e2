using System.Buffers;

namespace ProxyAdapter.Translation;

/// <summary>
/// Translates one provider stream into the client's, unit by unit, as the relay reads it:
/// <list type="number">
/// <item>the relay asks <see cref="UnitLength"/> where the first whole unit ends (an SSE event, an AWS event-stream message);</item>
/// <item><see cref="Feed"/> decodes it into neutral events and writes the client's events for them into the response buffer,
/// which the relay flushes at once (no batching, no timer);</item>
/// <item>when the provider's stream ends, <see cref="Complete"/> writes the closing events if a whole answer was seen
/// (<see cref="Finished"/>); otherwise nothing, so the client sees a cut stream and the relay handles it as a broken one.</item>
/// </list>
/// <see cref="Usage"/> is the provider's latest count, for pricing; <see cref="Failed"/> means the provider reported an error
/// mid-stream, which was passed on in the client's shape.
/// </summary>
public interface IStreamTranslator
{
    int UnitLength(ReadOnlySpan<byte> buffer);
    void Feed(ReadOnlyMemory<byte> unit, IBufferWriter<byte> output);
    void Complete(IBufferWriter<byte> output);
    ProviderUsage? Usage { get; }
    bool Finished { get; }
    bool Failed { get; }
}

/// <summary>A provider's decoder and a client's encoder, with structured-output emulation undone between them.</summary>
public sealed class StreamTranslator(IStreamDecoder decoder, IStreamEncoder encoder, int choices, string? jsonTool) : IStreamTranslator
{
    private readonly List<ChatEvent> _events = [];
    private readonly HashSet<int> _finished = [];
    private readonly HashSet<(int Choice, int Index)> _jsonCalls = [];

    public ProviderUsage? Usage { get; private set; }
    public bool Finished => _finished.Count >= choices;
    public bool Failed { get; private set; }

    public int UnitLength(ReadOnlySpan<byte> buffer) => decoder.UnitLength(buffer);

    public void Feed(ReadOnlyMemory<byte> unit, IBufferWriter<byte> output)
    {
        if (Failed)
            return;
        _events.Clear();
        decoder.Decode(unit, _events);
        foreach (var e in _events)
        {
            if (Unwrap(e) is not { } translated)
                continue;
            switch (translated)
            {
                case UsageReported reported:
                    Usage = reported.Usage;
                    continue;
                case ChoiceFinished finished:
                    _finished.Add(finished.Choice);
                    break;
                case StreamFailed:
                    Failed = true;
                    break;
            }
            encoder.Encode(translated, output);
            if (Failed)
                return;
        }
    }

    public void Complete(IBufferWriter<byte> output)
    {
        if (Finished && !Failed)
            encoder.Complete(Usage, output);
    }

    /// <summary>The emulated structured-output call is the answer's text; its "tool_calls" finish is a plain stop.</summary>
    private ChatEvent? Unwrap(ChatEvent e)
    {
        if (jsonTool is null)
            return e;
        switch (e)
        {
            case ToolCallStarted call when call.Name == jsonTool:
                _jsonCalls.Add((call.Choice, call.Index));
                return null;
            case ToolArgumentsDelta args when _jsonCalls.Contains((args.Choice, args.Index)):
                return new TextDelta(args.Choice, args.Fragment);
            case ChoiceFinished { Reason: Finish.ToolCalls } finished when _jsonCalls.Any(c => c.Choice == finished.Choice):
                return finished with { Reason = Finish.Stop };
            default:
                return e;
        }
    }

    /// <summary>The same, for a complete answer.</summary>
    public static ChatAnswer Unwrap(ChatAnswer answer, string? jsonTool) => jsonTool is null
        ? answer
        : answer with
        {
            Choices = [.. answer.Choices.Select(choice => choice.ToolCalls.FirstOrDefault(c => c.Name == jsonTool) is { } call
                ? choice with { Text = call.Arguments, ToolCalls = [], Finish = choice.Finish == Finish.ToolCalls ? Finish.Stop : choice.Finish }
                : choice)],
        };
}
