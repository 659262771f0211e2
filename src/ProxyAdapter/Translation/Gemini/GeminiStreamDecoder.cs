using System.Text.Json;

namespace ProxyAdapter.Translation.Gemini;

/// <summary>
/// Gemini's <c>streamGenerateContent?alt=sse</c>: each event's data is a whole <c>GenerateContentResponse</c> carrying the
/// next piece of each candidate's text, whole function calls, and the usage so far; the last carries the finish reason.
/// The stream has no end marker: it ends when the provider closes it. An <c>{"error":…}</c> event is a failure.
/// </summary>
public sealed class GeminiStreamDecoder(string callPrefix) : SseDecoder
{
    private readonly Dictionary<int, int> _callsOfChoice = [];
    private int _calls;
    private bool _started;

    protected override void Data(ReadOnlyMemory<byte> data, List<ChatEvent> events)
    {
        using var doc = Decoding.Parse(data);
        if (doc is null)
            return;
        var root = doc.RootElement;
        if (Decoding.TryObject(root, "error", out _))
        {
            events.Add(new StreamFailed(GeminiErrorReader.Read(500, root)));
            return;
        }
        if (!_started)
        {
            _started = true;
            events.Add(new AnswerStarted(Decoding.String(root, "responseId")));
        }
        var any = false;
        if (Decoding.TryArray(root, "candidates", out var candidates))
            foreach (var candidate in candidates.EnumerateArray())
            {
                any = true;
                Candidate(candidate, events);
            }
        if (Decoding.TryObject(root, "usageMetadata", out var metadata))
            events.Add(new UsageReported(GeminiAnswerReader.Usage(metadata)));
        if (!any && Decoding.TryObject(root, "promptFeedback", out var feedback) && Decoding.String(feedback, "blockReason") is not null)
            events.Add(new ChoiceFinished(0, Finish.ContentFilter));
    }

    private void Candidate(JsonElement candidate, List<ChatEvent> events)
    {
        var choice = GeminiAnswerReader.Index(candidate, 0);
        foreach (var part in GeminiAnswerReader.Parts(candidate))
        {
            if (GeminiAnswerReader.Text(part) is { Length: > 0 } text)
                events.Add(new TextDelta(choice, text));
            if (Decoding.TryObject(part, "functionCall", out var function))
            {
                var call = GeminiAnswerReader.Call(function, callPrefix, _calls++);
                var index = _callsOfChoice.GetValueOrDefault(choice);
                _callsOfChoice[choice] = index + 1;
                events.Add(new ToolCallStarted(choice, index, call.Id, call.Name));
                events.Add(new ToolArgumentsDelta(choice, index, call.Arguments));
            }
        }
        if (Decoding.String(candidate, "finishReason") is { } reason)
            events.Add(new ChoiceFinished(choice, GeminiAnswerReader.FinishOf(reason, _callsOfChoice.ContainsKey(choice))));
    }
}
