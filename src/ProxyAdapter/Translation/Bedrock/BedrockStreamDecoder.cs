using System.Text.Json;

namespace ProxyAdapter.Translation.Bedrock;

/// <summary>
/// ConverseStream's answer: AWS event-stream messages (<see cref="EventStream"/>, CRCs checked) whose <c>:event-type</c>
/// header names the event and whose payload is its JSON: <c>messageStart</c>, <c>contentBlockStart</c> (a tool use's id and
/// name), <c>contentBlockDelta</c> (<c>text</c>, or a tool use's <c>input</c> fragment; reasoning is left out),
/// <c>contentBlockStop</c>, <c>messageStop</c> (the stop reason) and <c>metadata</c> (usage, after the stop). A message of
/// type <c>exception</c>, or one that fails its CRCs, ends the stream as a failure.
/// </summary>
public sealed class BedrockStreamDecoder : IStreamDecoder
{
    private readonly Dictionary<int, int> _toolOfBlock = [];
    private bool _started;

    public int UnitLength(ReadOnlySpan<byte> buffer) => EventStream.MessageLength(buffer);

    public void Decode(ReadOnlyMemory<byte> unit, List<ChatEvent> events)
    {
        if (EventStream.TryDecode(unit, out var problem) is not { } message)
        {
            events.Add(new StreamFailed(new ProviderError(502, "api_error", "corrupt_event_stream", $"The provider's event stream is corrupt: {problem}.")));
            return;
        }
        using var doc = Decoding.Parse(message.Payload);
        var payload = doc?.RootElement ?? default;
        switch (message.Header(":message-type"))
        {
            case "event":
                Event(message.Header(":event-type"), payload, events);
                break;
            case "exception":
                var exception = message.Header(":exception-type");
                events.Add(new StreamFailed(BedrockErrorReader.Read(BedrockErrorReader.StatusOf(exception), payload, exception)));
                break;
            default:
                events.Add(new StreamFailed(BedrockErrorReader.Read(500, payload, message.Header(":error-code"))));
                break;
        }
    }

    private void Event(string? type, JsonElement payload, List<ChatEvent> events)
    {
        if (!_started)
        {
            _started = true;
            events.Add(new AnswerStarted(null));
        }
        switch (type)
        {
            case "contentBlockStart" when Decoding.TryObject(payload, "start", out var start) && Decoding.TryObject(start, "toolUse", out var use):
                var tool = _toolOfBlock.Count;
                _toolOfBlock[Index(payload)] = tool;
                events.Add(new ToolCallStarted(0, tool, Decoding.String(use, "toolUseId") ?? "", Decoding.String(use, "name") ?? ""));
                break;
            case "contentBlockDelta" when Decoding.TryObject(payload, "delta", out var delta):
                if (Decoding.String(delta, "text") is { Length: > 0 } text)
                    events.Add(new TextDelta(0, text));
                if (Decoding.TryObject(delta, "toolUse", out var input) && Decoding.String(input, "input") is { Length: > 0 } fragment
                    && _toolOfBlock.TryGetValue(Index(payload), out var index))
                    events.Add(new ToolArgumentsDelta(0, index, fragment));
                break;
            case "messageStop":
                events.Add(new ChoiceFinished(0, BedrockAnswerReader.FinishOf(Decoding.String(payload, "stopReason"))));
                break;
            case "metadata" when Decoding.TryObject(payload, "usage", out var usage):
                events.Add(new UsageReported(BedrockAnswerReader.Usage(usage)));
                break;
        }
    }

    private static int Index(JsonElement payload) =>
        payload.TryGetProperty("contentBlockIndex", out var index) && index.TryGetInt32(out var i) ? i : -1;
}
