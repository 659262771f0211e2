using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Usage;
using ProxyAdapter.Surfaces;

namespace ProxyAdapter.Translation.Messages;

/// <summary>
/// An Anthropic Messages request (what /v1/messages receives) as an OpenAI chat completions body, so Anthropic SDK users can
/// reach any other kind of model: <c>system</c> becomes a system message, <c>tool_use</c> blocks the assistant's
/// <c>tool_calls</c>, <c>tool_result</c> blocks <c>role: tool</c> messages (placed before the rest of their user turn, as
/// OpenAI wants the results right after the calls), images and PDFs data URLs (or image URLs). <c>cache_control</c> marks
/// are hints that change neither the answer nor its price elsewhere (OpenAI caches by itself) and are dropped. Anything
/// else without a counterpart (extended thinking, <c>top_k</c>, server tools, …) is refused naming it.
/// </summary>
public static class MessagesRequestReader
{
    public static InvalidParam? Read(JsonObject body, string kind, out JsonObject chat)
    {
        chat = null!;
        foreach (var (name, value) in body)
            if (Untranslatable(name, value, kind) is { } refused)
                return refused;
        if (body["max_tokens"] is null)
            return new InvalidParam("max_tokens", InvalidParam.Missing, "Field required (a positive integer).");
        if (BodyFields.Integer(body, "max_tokens", 1, Pricing.MaxTokens, out var maxTokens) is { } invalidMax)
            return invalidMax;
        if (BodyFields.Flag(body, "stream", out var stream) is { } invalidStream)
            return invalidStream;
        var messages = new JsonArray();
        if (System(body["system"], messages) is { } invalidSystem)
            return invalidSystem;
        if (BodyFields.Objects(body, "messages", out var turns) is { } invalidMessages)
            return invalidMessages;
        for (var i = 0; i < turns.Count; i++)
            if (Turn((JsonObject)turns[i]!, $"messages[{i}]", kind, messages) is { } invalidTurn)
                return invalidTurn;
        chat = new JsonObject { ["model"] = body["model"]?.DeepClone(), ["messages"] = messages };
        // OpenAI's reasoning models take only max_completion_tokens; compatible servers mostly know max_tokens alone.
        chat[kind == TargetKinds.OpenAiCompatible ? "max_tokens" : "max_completion_tokens"] = maxTokens;
        if (Sampling(body, chat) is { } invalidSampling)
            return invalidSampling;
        if (Stop(body["stop_sequences"], chat) is { } invalidStop)
            return invalidStop;
        if (User(body["metadata"], chat) is { } invalidUser)
            return invalidUser;
        if (MessagesTools.Read(body, chat, kind) is { } invalidTools)
            return invalidTools;
        if (stream)
        {
            chat["stream"] = true;
            // Usage is what the gateway prices, and what message_delta reports: always asked for.
            chat["stream_options"] = new JsonObject { ["include_usage"] = true };
        }
        return null;
    }

    private static InvalidParam? Untranslatable(string name, JsonNode? value, string kind) => name switch
    {
        "model" or "messages" or "max_tokens" or "system" or "temperature" or "top_p" or "stop_sequences" or "stream"
            or "metadata" or "tools" or "tool_choice" => null,
        "service_tier" => value is null || value is JsonValue tier && tier.GetValueKind() == JsonValueKind.String && tier.GetValue<string>() is "auto"
            ? null : Refusals.UnsupportedValue(name, kind, "must be \"auto\""),
        "thinking" => value is JsonObject thinking && thinking["type"] is JsonValue t && t.GetValueKind() == JsonValueKind.String
            && t.GetValue<string>() == "disabled" || value is null
            ? null : Refusals.Unsupported(name, kind, "extended thinking is Anthropic's own"),
        "top_k" or "container" or "mcp_servers" or "context_management" => value is null ? null : Refusals.Unsupported(name, kind),
        _ => Refusals.Unknown(name),
    };

    private static InvalidParam? System(JsonNode? system, JsonArray messages)
    {
        switch (system)
        {
            case null:
                return null;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                if (value.GetValue<string>().Length > 0)
                    messages.Add(new JsonObject { ["role"] = "system", ["content"] = value.GetValue<string>() });
                return null;
            case JsonArray blocks:
                var texts = new List<string>();
                for (var i = 0; i < blocks.Count; i++)
                {
                    if (TextBlock(blocks[i], $"system[{i}]", out var text) is { } invalid)
                        return invalid;
                    texts.Add(text);
                }
                if (texts.Count > 0)
                    messages.Add(new JsonObject { ["role"] = "system", ["content"] = string.Join("\n\n", texts) });
                return null;
            default:
                return BodyFields.Expected("system", "a string or an array of text blocks", system);
        }
    }

    private static InvalidParam? TextBlock(JsonNode? node, string at, out string text)
    {
        text = "";
        if (BodyFields.PartType(node, at, out var type) is { } invalid)
            return invalid;
        if (type != "text")
            return Refusals.Invalid(at + ".type", $"expected 'text', not '{type}'");
        if (Known((JsonObject)node!, at, "type", "text", "cache_control", "citations") is { } unknown)
            return unknown;
        return JsonFields.RequiredString(node!["text"], at + ".text", out text);
    }

    private static InvalidParam? Turn(JsonObject message, string at, string kind, JsonArray messages)
    {
        if (Known(message, at, "role", "content") is { } unknown)
            return unknown;
        if (JsonFields.RequiredString(message["role"], at + ".role", out var role) is { } invalidRole)
            return invalidRole;
        if (role is not ("user" or "assistant"))
            return Refusals.Invalid(at + ".role", $"expected 'user' or 'assistant', not '{role}'");
        var content = message["content"];
        if (content is JsonValue text && text.GetValueKind() == JsonValueKind.String)
        {
            messages.Add(new JsonObject { ["role"] = role, ["content"] = text.GetValue<string>() });
            return null;
        }
        if (content is not JsonArray blocks)
            return BodyFields.Expected(at + ".content", "a string or an array of content blocks", content);
        return role == "user"
            ? MessagesContent.User(blocks, at + ".content", kind, messages)
            : MessagesContent.Assistant(blocks, at + ".content", kind, messages);
    }

    private static InvalidParam? Sampling(JsonObject body, JsonObject chat)
    {
        if (JsonFields.Number(body["temperature"], "temperature", 0, 1, out var temperature) is { } invalidTemperature)
            return invalidTemperature;
        if (JsonFields.Number(body["top_p"], "top_p", 0, 1, out var topP) is { } invalidTopP)
            return invalidTopP;
        if (temperature is { } t)
            chat["temperature"] = t;
        if (topP is { } p)
            chat["top_p"] = p;
        return null;
    }

    private static InvalidParam? Stop(JsonNode? node, JsonObject chat)
    {
        if (JsonFields.Array(node, "stop_sequences", out var sequences) is { } invalid)
            return invalid;
        if (sequences is null || sequences.Count == 0)
            return null;
        var stop = new JsonArray();
        for (var i = 0; i < sequences.Count; i++)
        {
            if (JsonFields.RequiredString(sequences[i], $"stop_sequences[{i}]", out var sequence) is { } invalidSequence)
                return invalidSequence;
            stop.Add(sequence);
        }
        chat["stop"] = stop;
        return null;
    }

    private static InvalidParam? User(JsonNode? node, JsonObject chat)
    {
        if (JsonFields.Object(node, "metadata", out var metadata) is { } invalid)
            return invalid;
        if (metadata is null)
            return null;
        if (Known(metadata, "metadata", "user_id") is { } unknown)
            return unknown;
        if (JsonFields.String(metadata["user_id"], "metadata.user_id", out var user) is { } invalidUser)
            return invalidUser;
        if (user is not null)
            chat["user"] = user;
        return null;
    }

    /// <summary>Refuses a field not in <paramref name="names"/> (fail closed: an unknown field might ask for something).</summary>
    internal static InvalidParam? Known(JsonObject obj, string at, params ReadOnlySpan<string> names)
    {
        foreach (var (name, _) in obj)
            if (!names.Contains(name))
                return Refusals.Unknown($"{at}.{name}");
        return null;
    }
}
