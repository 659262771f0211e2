using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProxyAdapter.Translation.Responses;

/// <summary>
/// <see cref="ChatEvent"/>s as the Responses API's typed stream, each event named and numbered (<c>sequence_number</c>):
/// <c>response.created</c> and <c>response.in_progress</c>; for the text, <c>response.output_item.added</c>,
/// <c>response.content_part.added</c>, <c>response.output_text.delta</c>…, and at its end <c>response.output_text.done</c>,
/// <c>response.content_part.done</c>, <c>response.output_item.done</c>; for each function call
/// <c>response.output_item.added</c>, <c>response.function_call_arguments.delta</c>…,
/// <c>response.function_call_arguments.done</c>, <c>response.output_item.done</c>; then <c>response.completed</c> (or
/// <c>response.incomplete</c>) with the whole response and its usage. An error mid-stream is an <c>error</c> event followed
/// by <c>response.failed</c>.
/// </summary>
public sealed class ResponseEventEncoder(AnswerStamp stamp, JsonObject? echo) : IStreamEncoder
{
    private readonly SseWriter _sse = new();
    private readonly List<OutputItem> _items = [];
    private readonly Dictionary<int, OutputItem> _calls = [];
    private OutputItem? _message;
    private long _sequence;
    private bool _started;
    private Finish _finish = Finish.Stop;

    public void Encode(ChatEvent e, IBufferWriter<byte> output)
    {
        Start(output);
        switch (e)
        {
            case TextDelta { Choice: 0 } text:
                if (_message is null || _message.Done)
                {
                    CloseAll(output);
                    _message = Add(new OutputItem($"msg_{stamp.Id}_{_items.Count}", null, null), output);
                    Event(output, "response.content_part.added", (this, _message), static (json, s) =>
                    {
                        s.Item1.Located(json, s.Item2);
                        json.WriteNumber("content_index", 0);
                        json.WritePropertyName("part");
                        ResponseWords.TextPart(json, "");
                    });
                }
                _message.Text.Append(text.Text);
                Event(output, "response.output_text.delta", (this, _message, text.Text), static (json, s) =>
                {
                    s.Item1.Located(json, s.Item2);
                    json.WriteNumber("content_index", 0);
                    json.WriteString("delta", s.Item3);
                    json.WriteStartArray("logprobs");
                    json.WriteEndArray();
                });
                break;
            case ToolCallStarted { Choice: 0 } call:
                CloseAll(output);
                _calls[call.Index] = Add(new OutputItem($"fc_{stamp.Id}_{_items.Count}", call.Id, call.Name), output);
                break;
            case ToolArgumentsDelta { Choice: 0 } args when _calls.TryGetValue(args.Index, out var item):
                item.Text.Append(args.Fragment);
                Event(output, "response.function_call_arguments.delta", (this, item, args.Fragment), static (json, s) =>
                {
                    s.Item1.Located(json, s.Item2);
                    json.WriteString("delta", s.Item3);
                });
                break;
            case ChoiceFinished { Choice: 0 } finished:
                _finish = finished.Reason;
                break;
            case StreamFailed failed:
                Event(output, "error", failed.Error, static (json, error) =>
                {
                    json.WriteString("code", error.Code ?? error.Type);
                    json.WriteString("message", error.Message);
                    json.WriteNull("param");
                });
                Event(output, "response.failed", (this, failed.Error), static (json, s) =>
                {
                    json.WritePropertyName("response");
                    var buffer = new ArrayBufferWriter<byte>();
                    using (var inner = new Utf8JsonWriter(buffer))
                        ResponseWords.Response(inner, s.Item1.Stamp, s.Item1.Echo, "failed", null, s.Item1._items, null);
                    var response = JsonNode.Parse(buffer.WrittenSpan)!.AsObject();
                    response["error"] = new JsonObject { ["code"] = s.Item2.Code ?? s.Item2.Type, ["message"] = s.Item2.Message };
                    response.WriteTo(json);
                });
                break;
        }
    }

    public void Complete(ProviderUsage? usage, IBufferWriter<byte> output)
    {
        Start(output);
        CloseAll(output);
        var status = ResponseWords.Status(_finish);
        Event(output, status == "completed" ? "response.completed" : "response.incomplete", (this, status, usage), static (json, s) =>
        {
            json.WritePropertyName("response");
            ResponseWords.Response(json, s.Item1.Stamp, s.Item1.Echo, s.status, s.Item1._finish, s.Item1._items, s.usage);
        });
    }

    private AnswerStamp Stamp => stamp;
    private JsonObject? Echo => echo;

    private void Start(IBufferWriter<byte> output)
    {
        if (_started)
            return;
        _started = true;
        foreach (var name in (ReadOnlySpan<string>)["response.created", "response.in_progress"])
            Event(output, name, this, static (json, self) =>
            {
                json.WritePropertyName("response");
                ResponseWords.Response(json, self.Stamp, self.Echo, "in_progress", null, [], null);
            });
    }

    private OutputItem Add(OutputItem item, IBufferWriter<byte> output)
    {
        _items.Add(item);
        Event(output, "response.output_item.added", (this, item), static (json, s) =>
        {
            json.WriteNumber("output_index", s.Item1._items.IndexOf(s.Item2));
            json.WritePropertyName("item");
            ResponseWords.Item(json, s.Item2, "in_progress");
        });
        return item;
    }

    private void CloseAll(IBufferWriter<byte> output)
    {
        foreach (var item in _items.Where(i => !i.Done))
        {
            item.Done = true;
            if (item.IsCall)
                Event(output, "response.function_call_arguments.done", (this, item), static (json, s) =>
                {
                    s.Item1.Located(json, s.Item2);
                    json.WriteString("arguments", s.Item2.Text.ToString());
                });
            else
            {
                Event(output, "response.output_text.done", (this, item), static (json, s) =>
                {
                    s.Item1.Located(json, s.Item2);
                    json.WriteNumber("content_index", 0);
                    json.WriteString("text", s.Item2.Text.ToString());
                    json.WriteStartArray("logprobs");
                    json.WriteEndArray();
                });
                Event(output, "response.content_part.done", (this, item), static (json, s) =>
                {
                    s.Item1.Located(json, s.Item2);
                    json.WriteNumber("content_index", 0);
                    json.WritePropertyName("part");
                    ResponseWords.TextPart(json, s.Item2.Text.ToString());
                });
            }
            Event(output, "response.output_item.done", (this, item), static (json, s) =>
            {
                json.WriteNumber("output_index", s.Item1._items.IndexOf(s.Item2));
                json.WritePropertyName("item");
                ResponseWords.Item(json, s.Item2, "completed");
            });
        }
    }

    private void Located(Utf8JsonWriter json, OutputItem item)
    {
        json.WriteString("item_id", item.Id);
        json.WriteNumber("output_index", _items.IndexOf(item));
    }

    private void Event<T>(IBufferWriter<byte> output, string type, T state, Action<Utf8JsonWriter, T> body) =>
        _sse.Event(output, type, (type, _sequence++, state, body), static (json, s) =>
        {
            json.WriteStartObject();
            json.WriteString("type", s.type);
            json.WriteNumber("sequence_number", s.Item2);
            s.body(json, s.state);
            json.WriteEndObject();
        });
}
