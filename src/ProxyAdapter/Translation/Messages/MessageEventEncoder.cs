using System.Buffers;
using System.Text.Json;

namespace ProxyAdapter.Translation.Messages;

/// <summary>
/// <see cref="ChatEvent"/>s as Anthropic's message stream: <c>message_start</c>, then for each text run or tool call a
/// <c>content_block_start</c>, its deltas (<c>text_delta</c>, <c>input_json_delta</c>) and <c>content_block_stop</c>; at the
/// end <c>message_delta</c> (stop reason and the final usage, input included, since an OpenAI-kind provider reports it
/// last) and <c>message_stop</c>. An error mid-stream is an <c>error</c> event.
/// </summary>
public sealed class MessageEventEncoder(AnswerStamp stamp) : IStreamEncoder
{
    private readonly SseWriter _sse = new();
    private readonly Dictionary<int, int> _blockOfTool = [];
    private int _open = -1, _next;
    private bool _openIsText, _started;
    private Finish _finish = Finish.Stop;

    public void Encode(ChatEvent e, IBufferWriter<byte> output)
    {
        switch (e)
        {
            case AnswerStarted:
                Start(output);
                break;
            case TextDelta { Choice: 0 } text:
                Start(output);
                if (!(_open >= 0 && _openIsText))
                    Open(output, true, text, static (json, _) =>
                    {
                        json.WriteString("type", "text");
                        json.WriteString("text", "");
                    });
                Delta(output, text.Text, static (json, t) =>
                {
                    json.WriteString("type", "text_delta");
                    json.WriteString("text", t);
                });
                break;
            case ToolCallStarted { Choice: 0 } call:
                Start(output);
                Open(output, false, call, static (json, c) =>
                {
                    json.WriteString("type", "tool_use");
                    json.WriteString("id", c.Id);
                    json.WriteString("name", c.Name);
                    json.WriteStartObject("input");
                    json.WriteEndObject();
                });
                _blockOfTool[call.Index] = _open;
                break;
            case ToolArgumentsDelta { Choice: 0 } args when _blockOfTool.TryGetValue(args.Index, out var block):
                _sse.Event(output, "content_block_delta", (block, args.Fragment), static (json, s) =>
                {
                    json.WriteStartObject();
                    json.WriteString("type", "content_block_delta");
                    json.WriteNumber("index", s.block);
                    json.WriteStartObject("delta");
                    json.WriteString("type", "input_json_delta");
                    json.WriteString("partial_json", s.Fragment);
                    json.WriteEndObject();
                    json.WriteEndObject();
                });
                break;
            case ChoiceFinished { Choice: 0 } finished:
                _finish = finished.Reason;
                break;
            case StreamFailed failed:
                _sse.Event(output, "error", failed.Error, static (json, error) => AnthropicWords.Error(json, error));
                break;
        }
    }

    public void Complete(ProviderUsage? usage, IBufferWriter<byte> output)
    {
        Start(output);
        Close(output);
        _sse.Event(output, "message_delta", (_finish, usage ?? default), static (json, s) =>
        {
            json.WriteStartObject();
            json.WriteString("type", "message_delta");
            json.WriteStartObject("delta");
            json.WriteString("stop_reason", AnthropicWords.StopReason(s.Item1));
            json.WriteNull("stop_sequence");
            json.WriteEndObject();
            AnthropicWords.Usage(json, s.Item2);
            json.WriteEndObject();
        });
        _sse.Event(output, "message_stop", 0, static (json, _) =>
        {
            json.WriteStartObject();
            json.WriteString("type", "message_stop");
            json.WriteEndObject();
        });
    }

    private void Start(IBufferWriter<byte> output)
    {
        if (_started)
            return;
        _started = true;
        _sse.Event(output, "message_start", stamp, static (json, stamp) =>
        {
            json.WriteStartObject();
            json.WriteString("type", "message_start");
            json.WriteStartObject("message");
            json.WriteString("id", "msg_" + stamp.Id);
            json.WriteString("type", "message");
            json.WriteString("role", "assistant");
            json.WriteString("model", stamp.Model);
            json.WriteStartArray("content");
            json.WriteEndArray();
            json.WriteNull("stop_reason");
            json.WriteNull("stop_sequence");
            // The input count comes with the final message_delta: an OpenAI-kind provider reports usage last.
            AnthropicWords.Usage(json, default);
            json.WriteEndObject();
            json.WriteEndObject();
        });
    }

    private void Open<T>(IBufferWriter<byte> output, bool text, T state, Action<Utf8JsonWriter, T> block)
    {
        Close(output);
        _open = _next++;
        _openIsText = text;
        _sse.Event(output, "content_block_start", (_open, state, block), static (json, s) =>
        {
            json.WriteStartObject();
            json.WriteString("type", "content_block_start");
            json.WriteNumber("index", s.Item1);
            json.WriteStartObject("content_block");
            s.block(json, s.state);
            json.WriteEndObject();
            json.WriteEndObject();
        });
    }

    private void Delta(IBufferWriter<byte> output, string text, Action<Utf8JsonWriter, string> delta) =>
        _sse.Event(output, "content_block_delta", (_open, text, delta), static (json, s) =>
        {
            json.WriteStartObject();
            json.WriteString("type", "content_block_delta");
            json.WriteNumber("index", s.Item1);
            json.WriteStartObject("delta");
            s.delta(json, s.text);
            json.WriteEndObject();
            json.WriteEndObject();
        });

    private void Close(IBufferWriter<byte> output)
    {
        if (_open < 0)
            return;
        _sse.Event(output, "content_block_stop", _open, static (json, index) =>
        {
            json.WriteStartObject();
            json.WriteString("type", "content_block_stop");
            json.WriteNumber("index", index);
            json.WriteEndObject();
        });
        _open = -1;
    }
}
