using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Usage;
using ProxyAdapter.Surfaces;

namespace ProxyAdapter.Translation.Chat;

/// <summary>
/// Reads an OpenAI chat completions body into a <see cref="ChatRequest"/> for a provider of another kind
/// (<paramref name="kind"/> names it in refusals). Every top-level field is known here: a field at its default value is
/// dropped, one this layer cannot carry to any other provider is refused, an unknown one is refused (fail closed). Fields
/// some providers can carry and others cannot (seed, penalties, <c>n</c>, …) are read here and judged by each writer.
/// </summary>
public static class ChatRequestReader
{
    public static InvalidParam? Read(JsonObject body, string kind, out ChatRequest request)
    {
        request = null!;
        foreach (var (name, value) in body)
            if (Untranslatable(name, value, kind) is { } refused)
                return refused;
        if (Sampling(body, out var temperature, out var topP, out var presence, out var frequency) is { } sampling)
            return sampling;
        if (Limits(body, out var maxTokens, out var maxParam, out var n, out var seed) is { } limits)
            return limits;
        if (StopSequences(body["stop"], out var stop) is { } invalidStop)
            return invalidStop;
        if (Streaming(body, out var stream, out var includeUsage) is { } streaming)
            return streaming;
        if (ChatTools.Read(body, out var tools, out var choice, out var parallel) is { } invalidTools)
            return invalidTools;
        if (ChatTools.Format(body["response_format"], out var format) is { } invalidFormat)
            return invalidFormat;
        if (EndUser(body, out var user, out var userParam) is { } invalidUser)
            return invalidUser;
        if (ChatMessagesReader.Read(body, kind, out var instructions, out var turns) is { } invalidMessages)
            return invalidMessages;
        request = new ChatRequest
        {
            Instructions = instructions, Turns = turns, Temperature = temperature, TopP = topP, MaxTokens = maxTokens,
            MaxTokensParam = maxParam, Stop = stop, N = n, Seed = seed, PresencePenalty = presence ?? 0, FrequencyPenalty = frequency ?? 0,
            Tools = tools, ToolChoice = choice, ParallelToolCalls = parallel, Format = format, User = user, UserParam = userParam,
            Stream = stream, IncludeUsage = includeUsage,
        };
        return null;
    }

    /// <summary>Fields read below pass; fields that only OpenAI serves pass at their default value and are refused otherwise.</summary>
    private static InvalidParam? Untranslatable(string name, JsonNode? value, string kind) => name switch
    {
        "model" or "messages" or "max_tokens" or "max_completion_tokens" or "temperature" or "top_p" or "n" or "stream"
            or "stream_options" or "stop" or "presence_penalty" or "frequency_penalty" or "seed" or "user" or "safety_identifier"
            or "tools" or "tool_choice" or "parallel_tool_calls" or "response_format" => null,
        // Defaults (false, null, empty) are dropped; anything else asks for something only OpenAI serves.
        "logprobs" or "top_logprobs" or "logit_bias" or "store" or "metadata" or "audio" or "prediction" or "reasoning_effort"
            or "web_search_options" or "prompt_cache_key" => JsonFields.IsEmpty(value) ? null : Refusals.Unsupported(name, kind),
        "modalities" => value is null || value is JsonArray { Count: 1 } only && only[0] is JsonValue v && v.GetValueKind() == JsonValueKind.String
            && v.GetValue<string>() == "text" ? null : Refusals.UnsupportedValue(name, kind, "must be [\"text\"]"),
        "service_tier" => value is null || value is JsonValue tier && tier.GetValueKind() == JsonValueKind.String && tier.GetValue<string>() is "auto" or "default"
            ? null : Refusals.UnsupportedValue(name, kind, "must be \"auto\" or \"default\""),
        "verbosity" => value is null || value is JsonValue verbosity && verbosity.GetValueKind() == JsonValueKind.String && verbosity.GetValue<string>() == "medium"
            ? null : Refusals.Unsupported(name, kind),
        "functions" or "function_call" => value is null ? null : Refusals.Unsupported(name, kind, "the deprecated functions API is not translated; use 'tools' and 'tool_choice'"),
        _ => Refusals.Unknown(name),
    };

    private static InvalidParam? Sampling(JsonObject body, out double? temperature, out double? topP, out double? presence, out double? frequency)
    {
        topP = presence = frequency = null;
        return JsonFields.Number(body["temperature"], "temperature", 0, 2, out temperature)
            ?? JsonFields.Number(body["top_p"], "top_p", 0, 1, out topP)
            ?? JsonFields.Number(body["presence_penalty"], "presence_penalty", -2, 2, out presence)
            ?? JsonFields.Number(body["frequency_penalty"], "frequency_penalty", -2, 2, out frequency);
    }

    private static InvalidParam? Limits(JsonObject body, out long? maxTokens, out string param, out int n, out long? seed)
    {
        maxTokens = seed = null;
        param = "max_completion_tokens";
        n = 1;
        if (BodyFields.Integer(body, "max_completion_tokens", 1, Pricing.MaxTokens, out var completion) is { } invalidCompletion)
            return invalidCompletion;
        if (BodyFields.Integer(body, "max_tokens", 1, Pricing.MaxTokens, out var legacy) is { } invalidLegacy)
            return invalidLegacy;
        // Both given: the larger bounds the gateway's hold, so it is the one the provider is held to.
        (maxTokens, param) = legacy > (completion ?? 0) ? (legacy, "max_tokens") : (completion, "max_completion_tokens");
        if (BodyFields.Integer(body, "n", 1, HoldSizing.MaxChoices, out var choices) is { } invalidN)
            return invalidN;
        n = (int)(choices ?? 1);
        return BodyFields.Integer(body, "seed", long.MinValue, long.MaxValue, out seed);
    }

    private static InvalidParam? StopSequences(JsonNode? node, out IReadOnlyList<string> stop)
    {
        stop = [];
        switch (node)
        {
            case null:
                return null;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                stop = [value.GetValue<string>()];
                return null;
            case JsonArray array:
                var sequences = new List<string>(array.Count);
                for (var i = 0; i < array.Count; i++)
                {
                    if (JsonFields.RequiredString(array[i], $"stop[{i}]", out var sequence) is { } invalid)
                        return invalid;
                    sequences.Add(sequence);
                }
                stop = sequences;
                return null;
            default:
                return BodyFields.Expected("stop", "a string or an array of strings", node);
        }
    }

    private static InvalidParam? Streaming(JsonObject body, out bool stream, out bool includeUsage)
    {
        includeUsage = false;
        if (BodyFields.Flag(body, "stream", out stream) is { } invalid)
            return invalid;
        if (JsonFields.Object(body["stream_options"], "stream_options", out var options) is { } invalidOptions)
            return invalidOptions;
        if (options is null)
            return null;
        foreach (var (name, _) in options)
            // include_obfuscation pads OpenAI's own stream events; other providers have nothing to pad.
            if (name is not ("include_usage" or "include_obfuscation"))
                return Refusals.Unknown("stream_options." + name);
        return BodyFields.Flag(options, "include_usage", out includeUsage, "stream_options.include_usage")
            ?? BodyFields.Flag(options, "include_obfuscation", out _, "stream_options.include_obfuscation");
    }

    private static InvalidParam? EndUser(JsonObject body, out string? user, out string param)
    {
        param = "user";
        if (JsonFields.String(body["user"], "user", out user) is { } invalidUser)
            return invalidUser;
        if (JsonFields.String(body["safety_identifier"], "safety_identifier", out var safety) is { } invalidSafety)
            return invalidSafety;
        if (safety is not null)
            (user, param) = (safety, "safety_identifier");
        return null;
    }
}
