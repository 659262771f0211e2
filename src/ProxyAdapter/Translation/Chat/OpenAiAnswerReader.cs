using System.Text.Json;

namespace ProxyAdapter.Translation.Chat;

/// <summary>OpenAI's <c>chat.completion</c> (from an OpenAI-kind provider) as a <see cref="ChatAnswer"/>.</summary>
public static class OpenAiAnswerReader
{
    public static ChatAnswer? Read(JsonElement completion)
    {
        if (!Decoding.TryArray(completion, "choices", out var choices))
            return null;
        var read = new List<AnswerChoice>();
        foreach (var choice in choices.EnumerateArray())
        {
            Decoding.TryObject(choice, "message", out var message);
            var calls = new List<AnswerToolCall>();
            if (Decoding.TryArray(message, "tool_calls", out var toolCalls))
                foreach (var call in toolCalls.EnumerateArray())
                {
                    Decoding.TryObject(call, "function", out var function);
                    calls.Add(new AnswerToolCall(Decoding.String(call, "id") ?? "", Decoding.String(function, "name") ?? "",
                        Decoding.String(function, "arguments") ?? ""));
                }
            var index = choice.TryGetProperty("index", out var i) && i.TryGetInt32(out var n) ? n : read.Count;
            read.Add(new AnswerChoice(index, Decoding.String(message, "content") ?? Decoding.String(message, "refusal"), calls,
                FinishOf(Decoding.String(choice, "finish_reason"))));
        }
        var usage = completion.TryGetProperty("usage", out var counts) ? UsageOf(counts) : null;
        return new ChatAnswer(Decoding.String(completion, "id"), read, usage);
    }

    public static ProviderUsage? UsageOf(JsonElement usage)
    {
        if (Usage.From(usage) is not { } tokens)
            return null;
        return ProviderUsage.Of(tokens.Input, tokens.Cached, 0, tokens.Output, tokens.Reasoning);
    }

    public static Finish FinishOf(string? reason) => reason switch
    {
        "length" => Finish.Length,
        "tool_calls" or "function_call" => Finish.ToolCalls,
        "content_filter" => Finish.ContentFilter,
        _ => Finish.Stop,
    };
}
