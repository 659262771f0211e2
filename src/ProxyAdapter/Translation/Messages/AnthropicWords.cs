using System.Text.Json;

namespace ProxyAdapter.Translation.Messages;

/// <summary>Anthropic's words for stop reasons, usage and errors, for clients of /v1/messages.</summary>
public static class AnthropicWords
{
    public static string StopReason(Finish finish) => finish switch
    {
        Finish.Length => "max_tokens",
        Finish.ToolCalls => "tool_use",
        Finish.ContentFilter => "refusal",
        _ => "end_turn",
    };

    /// <summary><c>"usage"</c>: Anthropic counts input without the cache, and the cache reads and writes beside it.</summary>
    public static void Usage(Utf8JsonWriter json, ProviderUsage usage)
    {
        json.WriteStartObject("usage");
        json.WriteNumber("input_tokens", usage.Uncached);
        json.WriteNumber("cache_creation_input_tokens", usage.CacheWrite);
        json.WriteNumber("cache_read_input_tokens", usage.CacheRead);
        json.WriteNumber("output_tokens", usage.Output);
        json.WriteEndObject();
    }

    /// <summary><c>{"type":"error","error":{"type","message"}}</c>, the type following the status as Anthropic's does.</summary>
    public static void Error(Utf8JsonWriter json, ProviderError error)
    {
        json.WriteStartObject();
        json.WriteString("type", "error");
        json.WriteStartObject("error");
        json.WriteString("type", ErrorTypes.Anthropic(error.Status));
        json.WriteString("message", error.Message);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
