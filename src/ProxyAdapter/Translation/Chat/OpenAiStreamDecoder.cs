using System.Text.Json;

namespace ProxyAdapter.Translation.Chat;

/// <summary>
/// OpenAI's <c>chat.completion.chunk</c> events (from an OpenAI-kind provider, for clients of another API): content and
/// tool-call deltas, finish reasons, the usage chunk, <c>[DONE]</c>, and <c>{"error":…}</c>. Azure's content-filter-only
/// chunks (empty <c>choices</c>) carry nothing to translate.
/// </summary>
public sealed class OpenAiStreamDecoder : SseDecoder
{
    private bool _started;

    protected override void Data(ReadOnlyMemory<byte> data, List<ChatEvent> events)
    {
        if (data.Span.SequenceEqual("[DONE]"u8))
            return;
        using var doc = Decoding.Parse(data);
        if (doc is null)
            return;
        var root = doc.RootElement;
        if (Decoding.TryObject(root, "error", out _))
        {
            events.Add(new StreamFailed(OpenAiErrorReader.Read(500, root)));
            return;
        }
        if (!_started)
        {
            _started = true;
            events.Add(new AnswerStarted(Decoding.String(root, "id")));
        }
        if (Decoding.TryArray(root, "choices", out var choices))
            foreach (var choice in choices.EnumerateArray())
                Choice(choice, events);
        if (root.TryGetProperty("usage", out var usage) && OpenAiAnswerReader.UsageOf(usage) is { } counts)
            events.Add(new UsageReported(counts));
    }

    private static void Choice(JsonElement choice, List<ChatEvent> events)
    {
        var index = choice.TryGetProperty("index", out var i) && i.TryGetInt32(out var n) ? n : 0;
        if (Decoding.TryObject(choice, "delta", out var delta))
        {
            if ((Decoding.String(delta, "content") ?? Decoding.String(delta, "refusal")) is { Length: > 0 } text)
                events.Add(new TextDelta(index, text));
            if (Decoding.TryArray(delta, "tool_calls", out var calls))
                foreach (var call in calls.EnumerateArray())
                {
                    var callIndex = call.TryGetProperty("index", out var c) && c.TryGetInt32(out var k) ? k : 0;
                    Decoding.TryObject(call, "function", out var function);
                    if (Decoding.String(call, "id") is { } id)
                        events.Add(new ToolCallStarted(index, callIndex, id, Decoding.String(function, "name") ?? ""));
                    if (Decoding.String(function, "arguments") is { Length: > 0 } arguments)
                        events.Add(new ToolArgumentsDelta(index, callIndex, arguments));
                }
        }
        if (Decoding.String(choice, "finish_reason") is { } reason)
            events.Add(new ChoiceFinished(index, OpenAiAnswerReader.FinishOf(reason)));
    }
}
