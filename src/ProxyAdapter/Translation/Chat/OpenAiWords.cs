using System.Text.Json;

namespace ProxyAdapter.Translation.Chat;

/// <summary>OpenAI's words for usage and finish reasons, written the way its SDKs read them.</summary>
public static class OpenAiWords
{
    public static string Finish(Finish finish) => finish switch
    {
        Translation.Finish.Length => "length",
        Translation.Finish.ToolCalls => "tool_calls",
        Translation.Finish.ContentFilter => "content_filter",
        _ => "stop",
    };

    /// <summary><c>"usage": {prompt_tokens, completion_tokens, total_tokens, prompt_tokens_details, completion_tokens_details}</c>.</summary>
    public static void Usage(Utf8JsonWriter json, ProviderUsage usage)
    {
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", usage.Input);
        json.WriteNumber("completion_tokens", usage.Output);
        json.WriteNumber("total_tokens", usage.Input + usage.Output);
        json.WriteStartObject("prompt_tokens_details");
        json.WriteNumber("cached_tokens", usage.CacheRead);
        json.WriteEndObject();
        json.WriteStartObject("completion_tokens_details");
        json.WriteNumber("reasoning_tokens", usage.Reasoning);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary><c>{"error":{"message","type","param","code"}}</c>: OpenAI's error body.</summary>
    public static void Error(Utf8JsonWriter json, ProviderError error, string? param = null)
    {
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteString("message", error.Message);
        json.WriteString("type", error.Type);
        if (param is null)
            json.WriteNull("param");
        else
            json.WriteString("param", param);
        if (error.Code is null)
            json.WriteNull("code");
        else
            json.WriteString("code", error.Code);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
