using System.Text.Json;

namespace ProxyAdapter.Translation.Anthropic;

/// <summary>
/// Anthropic's message events: <c>message_start</c> (id, input counts), <c>content_block_start</c> (a text block or a
/// tool_use block with its id and name), <c>content_block_delta</c> (<c>text_delta</c>, <c>input_json_delta</c>; thinking
/// deltas are not text and are left out), <c>message_delta</c> (stop reason, output count), <c>message_stop</c>, <c>ping</c>,
/// and <c>error</c>.
/// </summary>
public sealed class AnthropicStreamDecoder : SseDecoder
{
    private readonly Dictionary<int, int> _toolOfBlock = [];
    private long _uncached, _cacheRead, _cacheWrite, _output;

    protected override void Data(ReadOnlyMemory<byte> data, List<ChatEvent> events)
    {
        using var doc = Decoding.Parse(data);
        if (doc is null)
            return;
        var root = doc.RootElement;
        switch (Decoding.String(root, "type"))
        {
            case "message_start" when Decoding.TryObject(root, "message", out var message):
                events.Add(new AnswerStarted(Decoding.String(message, "id")));
                if (Decoding.TryObject(message, "usage", out var startUsage))
                    events.Add(Merge(startUsage));
                break;
            case "content_block_start" when Decoding.TryObject(root, "content_block", out var block)
                                            && Decoding.String(block, "type") == "tool_use":
                var tool = _toolOfBlock.Count;
                _toolOfBlock[Index(root)] = tool;
                events.Add(new ToolCallStarted(0, tool, Decoding.String(block, "id") ?? "", Decoding.String(block, "name") ?? ""));
                break;
            case "content_block_delta" when Decoding.TryObject(root, "delta", out var delta):
                switch (Decoding.String(delta, "type"))
                {
                    case "text_delta" when Decoding.String(delta, "text") is { Length: > 0 } text:
                        events.Add(new TextDelta(0, text));
                        break;
                    case "input_json_delta" when Decoding.String(delta, "partial_json") is { Length: > 0 } json
                                                 && _toolOfBlock.TryGetValue(Index(root), out var index):
                        events.Add(new ToolArgumentsDelta(0, index, json));
                        break;
                }
                break;
            case "message_delta":
                if (Decoding.TryObject(root, "usage", out var deltaUsage))
                    events.Add(Merge(deltaUsage));
                if (Decoding.TryObject(root, "delta", out var messageDelta) && Decoding.String(messageDelta, "stop_reason") is { } reason)
                    events.Add(new ChoiceFinished(0, AnthropicAnswerReader.FinishOf(reason)));
                break;
            case "error":
                events.Add(new StreamFailed(AnthropicErrorReader.Read(529, root)));
                break;
        }
    }

    private static int Index(JsonElement root) =>
        root.TryGetProperty("index", out var index) && index.ValueKind == JsonValueKind.Number && index.TryGetInt32(out var i) ? i : -1;

    /// <summary>message_delta repeats only some counts (output, sometimes input and cache): the ones present replace the earlier.</summary>
    private UsageReported Merge(JsonElement usage)
    {
        long Field(string name, long current) =>
            usage.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? Decoding.Count(usage, name) : current;
        _uncached = Field("input_tokens", _uncached);
        _cacheRead = Field("cache_read_input_tokens", _cacheRead);
        _cacheWrite = Field("cache_creation_input_tokens", _cacheWrite);
        _output = Field("output_tokens", _output);
        return new UsageReported(ProviderUsage.FromUncached(_uncached, _cacheRead, _cacheWrite, _output));
    }
}
