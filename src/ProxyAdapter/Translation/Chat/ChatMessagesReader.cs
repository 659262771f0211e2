using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Usage;
using ProxyAdapter.Surfaces;

namespace ProxyAdapter.Translation.Chat;

/// <summary>
/// OpenAI's <c>messages</c> read into instructions and alternating turns. System and developer messages become the
/// instructions wherever they stand (the other providers take them once, up front); tool messages become tool results in the
/// user turn after the calls, with the called function's name found from its call (Gemini needs it).
/// </summary>
internal static class ChatMessagesReader
{
    public static InvalidParam? Read(JsonObject body, string kind, out IReadOnlyList<TextPart> instructions, out IReadOnlyList<Turn> turns)
    {
        instructions = [];
        turns = [];
        if (BodyFields.Objects(body, "messages", out var messages) is { } invalid)
            return invalid;
        var system = new List<TextPart>();
        var merged = new List<Turn>();
        var callNames = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < messages.Count; i++)
        {
            var message = (JsonObject)messages[i]!;
            var at = $"messages[{i}]";
            if (JsonFields.RequiredString(message["role"], at + ".role", out var role) is { } invalidRole)
                return invalidRole;
            foreach (var (name, value) in message)
                if (Field(role, name, value, at, kind) is { } refused)
                    return refused;
            var parts = new List<Part>();
            var problem = role switch
            {
                "system" or "developer" => Text(message["content"], at + ".content", system, allowRefusal: false),
                "user" => UserContent(message["content"], at + ".content", parts),
                "assistant" => Assistant(message, at, parts, callNames),
                "tool" => ToolResult(message, at, parts, callNames),
                _ => Refusals.Invalid(at + ".role", $"expected 'system', 'developer', 'user', 'assistant' or 'tool', not '{role}'"),
            };
            if (problem is not null)
                return problem;
            if (parts.Count > 0)
                Append(merged, role == "assistant" ? Role.Assistant : Role.User, parts);
        }
        instructions = system;
        turns = merged;
        return null;
    }

    /// <summary>The fields a message may carry; <c>name</c> has no counterpart elsewhere, so it is refused rather than lost.</summary>
    private static InvalidParam? Field(string role, string name, JsonNode? value, string at, string kind) => (role, name) switch
    {
        (_, "role" or "content") => null,
        ("assistant", "tool_calls" or "refusal") => null,
        ("tool", "tool_call_id") => null,
        (_, "name") => value is null ? null : Refusals.Unsupported($"{at}.name", kind, "messages cannot be attributed to named participants there"),
        ("assistant", "audio" or "function_call") => value is null ? null : Refusals.Unsupported($"{at}.{name}", kind),
        _ => Refusals.Unknown($"{at}.{name}"),
    };

    private static void Append(List<Turn> turns, Role role, List<Part> parts)
    {
        if (turns.Count > 0 && turns[^1].Role == role)
            turns[^1] = turns[^1] with { Parts = [.. turns[^1].Parts, .. parts] };
        else
            turns.Add(new Turn(role, parts));
    }

    /// <summary>A string, or text parts (and, for assistant history, refusal parts); empty text is left out.</summary>
    private static InvalidParam? Text(JsonNode? content, string param, List<TextPart> into, bool allowRefusal)
    {
        switch (content)
        {
            case null:
                return null;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                if (value.GetValue<string>() is { Length: > 0 } text)
                    into.Add(new TextPart(text, param));
                return null;
            case JsonArray array:
                for (var j = 0; j < array.Count; j++)
                {
                    var at = $"{param}[{j}]";
                    if (BodyFields.PartType(array[j], at, out var type) is { } invalid)
                        return invalid;
                    var field = type switch { "text" => "text", "refusal" when allowRefusal => "refusal", _ => null };
                    if (field is null)
                        return Refusals.Invalid(at + ".type", $"a part of type '{type}' is not allowed here");
                    if (JsonFields.RequiredString(array[j]![field], $"{at}.{field}", out var partText) is { } invalidText)
                        return invalidText;
                    if (partText.Length > 0)
                        into.Add(new TextPart(partText, at));
                }
                return null;
            default:
                return BodyFields.Expected(param, "a string or an array of content parts", content);
        }
    }

    private static InvalidParam? UserContent(JsonNode? content, string param, List<Part> parts)
    {
        if (content is not JsonArray array)
        {
            var texts = new List<TextPart>();
            var invalid = content is null ? new InvalidParam(param, InvalidParam.Missing, $"Missing required parameter: '{param}'.") : Text(content, param, texts, false);
            parts.AddRange(texts);
            return invalid;
        }
        for (var j = 0; j < array.Count; j++)
        {
            var at = $"{param}[{j}]";
            if (BodyFields.PartType(array[j], at, out var type) is { } invalid)
                return invalid;
            var part = (JsonObject)array[j]!;
            var problem = type switch
            {
                "text" => TextOf(part, at, parts),
                "image_url" => ChatMedia.Image(part, at, parts),
                "input_audio" => ChatMedia.Audio(part, at, parts),
                "file" => ChatMedia.File(part, at, parts),
                _ => Refusals.Invalid(at + ".type", $"unknown content part type '{type}'"),
            };
            if (problem is not null)
                return problem;
        }
        return null;
    }

    private static InvalidParam? TextOf(JsonObject part, string at, List<Part> parts)
    {
        if (JsonFields.RequiredString(part["text"], at + ".text", out var text) is { } invalid)
            return invalid;
        if (text.Length > 0)
            parts.Add(new TextPart(text, at));
        return null;
    }

    private static InvalidParam? Assistant(JsonObject message, string at, List<Part> parts, Dictionary<string, string> callNames)
    {
        var texts = new List<TextPart>();
        if (Text(message["content"], at + ".content", texts, allowRefusal: true) is { } invalid)
            return invalid;
        if (JsonFields.String(message["refusal"], at + ".refusal", out var refusal) is { } invalidRefusal)
            return invalidRefusal;
        parts.AddRange(texts);
        if (refusal is { Length: > 0 })
            parts.Add(new TextPart(refusal, at + ".refusal"));
        if (JsonFields.Array(message["tool_calls"], at + ".tool_calls", out var calls) is { } invalidCalls)
            return invalidCalls;
        for (var k = 0; calls is not null && k < calls.Count; k++)
        {
            if (ToolCall(calls[k], $"{at}.tool_calls[{k}]", out var call) is { } invalidCall)
                return invalidCall;
            callNames[call.Id] = call.Name;
            parts.Add(call);
        }
        return null;
    }

    private static InvalidParam? ToolCall(JsonNode? node, string at, out ToolCallPart call)
    {
        call = null!;
        if (BodyFields.PartType(node, at, out var type) is { } invalid)
            return invalid;
        if (type != "function")
            return Refusals.Invalid(at + ".type", $"only 'function' tool calls are translated, not '{type}'");
        if (JsonFields.RequiredString(node!["id"], at + ".id", out var id) is { } invalidId)
            return invalidId;
        if (node["function"] is not JsonObject function)
            return BodyFields.Expected(at + ".function", "an object", node["function"]);
        if (JsonFields.RequiredString(function["name"], at + ".function.name", out var name) is { } invalidName)
            return invalidName;
        if (JsonFields.RequiredString(function["arguments"], at + ".function.arguments", out var text) is { } invalidArguments)
            return invalidArguments;
        if (Arguments(text, at + ".function.arguments", out var arguments) is { } invalidJson)
            return invalidJson;
        call = new ToolCallPart(id, name, arguments, at);
        return null;
    }

    /// <summary>Arguments as a JSON object (the other providers take them parsed); an empty string is no arguments.</summary>
    internal static InvalidParam? Arguments(string text, string param, out JsonObject arguments)
    {
        arguments = [];
        if (string.IsNullOrWhiteSpace(text))
            return null;
        try
        {
            if (JsonNode.Parse(text) is JsonObject parsed)
            {
                arguments = parsed;
                return null;
            }
        }
        catch (JsonException)
        {
        }
        return Refusals.Invalid(param, "the arguments of an earlier call must be a JSON object to be translated");
    }

    private static InvalidParam? ToolResult(JsonObject message, string at, List<Part> parts, Dictionary<string, string> callNames)
    {
        if (JsonFields.RequiredString(message["tool_call_id"], at + ".tool_call_id", out var callId) is { } invalidId)
            return invalidId;
        if (!callNames.TryGetValue(callId, out var name))
            return Refusals.Invalid(at + ".tool_call_id", $"no earlier assistant message made a tool call with id '{callId}'");
        var texts = new List<TextPart>();
        if (Text(message["content"], at + ".content", texts, false) is { } invalid)
            return invalid;
        parts.Add(new ToolResultPart(callId, name, string.Concat(texts.Select(t => t.Text)), at));
        return null;
    }
}
