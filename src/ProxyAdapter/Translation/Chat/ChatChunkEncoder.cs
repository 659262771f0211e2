using System.Buffers;
using System.Text.Json;

namespace ProxyAdapter.Translation.Chat;

/// <summary>
/// <see cref="ChatEvent"/>s as OpenAI's <c>chat.completion.chunk</c> stream: a first chunk per choice with
/// <c>role: assistant</c>, then content deltas and tool-call deltas (<c>index</c>, and on a call's first chunk its
/// <c>id</c>, <c>type</c> and <c>name</c>), a chunk with the <c>finish_reason</c>, then, at the end, the usage chunk
/// (<c>"choices":[]</c>) when the client asked for it, and <c>data: [DONE]</c>. An error mid-stream is
/// <c>data: {"error":{…}}</c> and ends the stream.
/// </summary>
public sealed class ChatChunkEncoder(AnswerStamp stamp, bool includeUsage) : IStreamEncoder
{
    private readonly SseWriter _sse = new();
    private readonly string _id = "chatcmpl-" + stamp.Id;
    private readonly HashSet<int> _started = [];

    public void Encode(ChatEvent e, IBufferWriter<byte> output)
    {
        switch (e)
        {
            case AnswerStarted:
                Role(0, output);
                break;
            case TextDelta text:
                Role(text.Choice, output);
                Chunk(output, text.Choice, text, static (json, t) => json.WriteString("content", t.Text));
                break;
            case ToolCallStarted call:
                Role(call.Choice, output);
                Chunk(output, call.Choice, call, static (json, c) => ToolCall(json, c.Index, c.Id, c.Name, ""));
                break;
            case ToolArgumentsDelta args:
                Chunk(output, args.Choice, args, static (json, a) => ToolCall(json, a.Index, null, null, a.Fragment));
                break;
            case ChoiceFinished finished:
                Role(finished.Choice, output);
                Chunk(output, finished.Choice, finished, static (_, _) => { }, OpenAiWords.Finish(finished.Reason));
                break;
            case StreamFailed failed:
                _sse.Event(output, null, failed.Error, static (json, error) => OpenAiWords.Error(json, error));
                break;
        }
    }

    public void Complete(ProviderUsage? usage, IBufferWriter<byte> output)
    {
        if (includeUsage && usage is { } counts)
            _sse.Event(output, null, (this, counts), static (json, s) =>
            {
                s.Item1.Header(json);
                json.WriteStartArray("choices");
                json.WriteEndArray();
                OpenAiWords.Usage(json, s.counts);
                json.WriteEndObject();
            });
        SseWriter.Raw(output, "data: [DONE]\n\n"u8);
    }

    private void Role(int choice, IBufferWriter<byte> output)
    {
        if (_started.Add(choice))
            Chunk(output, choice, 0, static (json, _) =>
            {
                json.WriteString("role", "assistant");
                json.WriteString("content", "");
            });
    }

    private void Header(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("id", _id);
        json.WriteString("object", "chat.completion.chunk");
        json.WriteNumber("created", stamp.Created);
        json.WriteString("model", stamp.Model);
    }

    private void Chunk<T>(IBufferWriter<byte> output, int choice, T state, Action<Utf8JsonWriter, T> delta, string? finish = null) =>
        _sse.Event(output, null, (this, choice, state, delta, finish), static (json, s) =>
        {
            s.Item1.Header(json);
            json.WriteStartArray("choices");
            json.WriteStartObject();
            json.WriteNumber("index", s.choice);
            json.WriteStartObject("delta");
            s.delta(json, s.state);
            json.WriteEndObject();
            json.WriteNull("logprobs");
            if (s.finish is null)
                json.WriteNull("finish_reason");
            else
                json.WriteString("finish_reason", s.finish);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        });

    private static void ToolCall(Utf8JsonWriter json, int index, string? id, string? name, string arguments)
    {
        json.WriteStartArray("tool_calls");
        json.WriteStartObject();
        json.WriteNumber("index", index);
        if (id is not null)
        {
            json.WriteString("id", id);
            json.WriteString("type", "function");
        }
        json.WriteStartObject("function");
        if (name is not null)
            json.WriteString("name", name);
        json.WriteString("arguments", arguments);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
    }
}
