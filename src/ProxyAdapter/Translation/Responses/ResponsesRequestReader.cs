using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Usage;
using ProxyAdapter.Surfaces;

namespace ProxyAdapter.Translation.Responses;

/// <summary>
/// A Responses API request (<c>POST /v1/responses</c>) as an OpenAI chat completions body, so <c>responses.create</c> works
/// against any kind of model. Stateless: nothing is stored, so the features that read stored state
/// (<c>previous_response_id</c>, <c>conversation</c>, <c>background</c>, <c>store: true</c>) are refused naming the parameter;
/// an absent <c>store</c> means <c>false</c> here and the response says so. Built-in tools (web search, file search,
/// computer use, …) run at OpenAI and are refused. Also returns the fields the response object echoes.
/// </summary>
public static class ResponsesRequestReader
{
    public static InvalidParam? Read(JsonObject body, string kind, out JsonObject chat, out JsonObject echo)
    {
        chat = null!;
        echo = null!;
        foreach (var (name, value) in body)
            if (Untranslatable(name, value, kind) is { } refused)
                return refused;
        var messages = new JsonArray();
        if (JsonFields.String(body["instructions"], "instructions", out var instructions) is { } invalidInstructions)
            return invalidInstructions;
        if (instructions is { Length: > 0 })
            messages.Add(new JsonObject { ["role"] = "system", ["content"] = instructions });
        if (ResponsesInput.Read(body["input"], kind, messages) is { } invalidInput)
            return invalidInput;
        if (BodyFields.Integer(body, "max_output_tokens", 1, Pricing.MaxTokens, out var maxTokens) is { } invalidMax)
            return invalidMax;
        if (BodyFields.Flag(body, "stream", out var stream) is { } invalidStream)
            return invalidStream;
        chat = new JsonObject { ["model"] = body["model"]?.DeepClone(), ["messages"] = messages };
        if (maxTokens is { } max)
            chat[kind == TargetKinds.OpenAiCompatible ? "max_tokens" : "max_completion_tokens"] = max;
        foreach (var name in (ReadOnlySpan<string>)["temperature", "top_p", "parallel_tool_calls", "user", "safety_identifier", "service_tier"])
            if (body[name] is { } value)
                chat[name] = value.DeepClone();
        if (ResponsesTools.Read(body, chat, kind) is { } invalidTools)
            return invalidTools;
        if (Format(body["text"], chat, kind) is { } invalidText)
            return invalidText;
        if (stream)
        {
            chat["stream"] = true;
            // response.completed carries the usage, and the gateway prices it: always asked for.
            chat["stream_options"] = new JsonObject { ["include_usage"] = true };
        }
        echo = Echo(body);
        return null;
    }

    private static InvalidParam? Untranslatable(string name, JsonNode? value, string kind) => name switch
    {
        "model" or "input" or "instructions" or "max_output_tokens" or "temperature" or "top_p" or "tools" or "tool_choice"
            or "parallel_tool_calls" or "text" or "stream" or "user" or "safety_identifier" or "metadata" or "service_tier" => null,
        // Kept by the provider account, not by this stateless translation.
        "store" => value is null || value.GetValueKind() == JsonValueKind.False ? null
            : Refusals.Unsupported(name, kind, "responses are not stored when translated; send \"store\": false"),
        "previous_response_id" or "conversation" => value is null ? null
            : Refusals.Unsupported(name, kind, "it reads a stored response, and translated responses are not stored; send the whole conversation in 'input'"),
        "background" or "include" or "reasoning" or "prompt" or "prompt_cache_key" or "top_logprobs" or "max_tool_calls" =>
            JsonFields.IsEmpty(value) ? null : Refusals.Unsupported(name, kind),
        "truncation" => value is null || value is JsonValue t && t.GetValueKind() == JsonValueKind.String && t.GetValue<string>() == "disabled"
            ? null : Refusals.UnsupportedValue(name, kind, "must be \"disabled\""),
        "stream_options" => value is null || value is JsonObject o && o.All(p => p.Key == "include_obfuscation") ? null : Refusals.Unknown(name),
        _ => Refusals.Unknown(name),
    };

    /// <summary><c>text.format</c> as <c>response_format</c> (the schema flat in Responses, nested in chat).</summary>
    private static InvalidParam? Format(JsonNode? node, JsonObject chat, string kind)
    {
        if (JsonFields.Object(node, "text", out var text) is { } invalid)
            return invalid;
        if (text is null)
            return null;
        foreach (var (name, value) in text)
            if (name == "verbosity" ? !(value is null || value is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == "medium")
                : name != "format")
                return name == "verbosity" ? Refusals.Unsupported("text.verbosity", kind) : Refusals.Unknown("text." + name);
        if (text["format"] is null)
            return null;
        if (BodyFields.PartType(text["format"], "text.format", out var type) is { } invalidType)
            return invalidType;
        var format = (JsonObject)text["format"]!;
        switch (type)
        {
            case "text":
                return null;
            case "json_object":
                chat["response_format"] = new JsonObject { ["type"] = "json_object" };
                return null;
            case "json_schema":
                var schema = new JsonObject();
                foreach (var (name, value) in format)
                    if (name != "type")
                        schema[name] = value?.DeepClone();
                chat["response_format"] = new JsonObject { ["type"] = "json_schema", ["json_schema"] = schema };
                return null;
            default:
                return Refusals.Invalid("text.format.type", $"expected 'text', 'json_object' or 'json_schema', not '{type}'");
        }
    }

    /// <summary>What the response object repeats of the request, with OpenAI's defaults where the request named none.</summary>
    private static JsonObject Echo(JsonObject body)
    {
        JsonNode? Or(string name, JsonNode? fallback) => body[name]?.DeepClone() ?? fallback;
        return new JsonObject
        {
            ["instructions"] = Or("instructions", null),
            ["max_output_tokens"] = Or("max_output_tokens", null),
            ["metadata"] = Or("metadata", new JsonObject()),
            ["parallel_tool_calls"] = Or("parallel_tool_calls", true),
            ["previous_response_id"] = null,
            ["store"] = false,
            ["temperature"] = Or("temperature", 1.0),
            ["text"] = Or("text", new JsonObject { ["format"] = new JsonObject { ["type"] = "text" } }),
            ["tool_choice"] = Or("tool_choice", "auto"),
            ["tools"] = Or("tools", new JsonArray()),
            ["top_p"] = Or("top_p", 1.0),
            ["truncation"] = "disabled",
            ["user"] = Or("user", null),
        };
    }
}
