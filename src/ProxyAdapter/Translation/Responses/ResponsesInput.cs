using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Usage;
using ProxyAdapter.Surfaces;

namespace ProxyAdapter.Translation.Responses;

/// <summary>
/// A Responses <c>input</c> (a string, or items) as chat messages: message items by role with their <c>input_text</c>,
/// <c>input_image</c>, <c>input_file</c> (and, for the assistant, <c>output_text</c>) parts; <c>function_call</c> items as the
/// assistant's <c>tool_calls</c> (consecutive calls in one message); <c>function_call_output</c> items as tool messages.
/// Reasoning items and item references name OpenAI's stored state and are refused.
/// </summary>
internal static class ResponsesInput
{
    public static InvalidParam? Read(JsonNode? input, string kind, JsonArray messages)
    {
        switch (input)
        {
            case null:
                return new InvalidParam("input", InvalidParam.Missing, "Missing required parameter: 'input'.");
            case JsonValue text when text.GetValueKind() == JsonValueKind.String:
                messages.Add(new JsonObject { ["role"] = "user", ["content"] = text.GetValue<string>() });
                return null;
            case JsonArray items:
                for (var i = 0; i < items.Count; i++)
                    if (Item(items[i], $"input[{i}]", kind, messages) is { } invalid)
                        return invalid;
                return null;
            default:
                return BodyFields.Expected("input", "a string or an array of input items", input);
        }
    }

    private static InvalidParam? Item(JsonNode? node, string at, string kind, JsonArray messages)
    {
        if (node is not JsonObject item)
            return BodyFields.Expected(at, "an object", node);
        if (JsonFields.String(item["type"], at + ".type", out var type) is { } invalidType)
            return invalidType;
        return (type ?? "message") switch
        {
            "message" => Message(item, at, kind, messages),
            "function_call" => Call(item, at, messages),
            "function_call_output" => Output(item, at, messages),
            var other => Refusals.Unsupported(at + ".type", kind, $"a '{other}' item refers to state kept by OpenAI"),
        };
    }

    private static InvalidParam? Message(JsonObject item, string at, string kind, JsonArray messages)
    {
        foreach (var (name, _) in item)
            if (name is not ("type" or "role" or "content" or "id" or "status"))
                return Refusals.Unknown($"{at}.{name}");
        if (JsonFields.RequiredString(item["role"], at + ".role", out var role) is { } invalidRole)
            return invalidRole;
        if (role is not ("user" or "assistant" or "system" or "developer"))
            return Refusals.Invalid(at + ".role", $"expected 'user', 'assistant', 'system' or 'developer', not '{role}'");
        switch (item["content"])
        {
            case JsonValue text when text.GetValueKind() == JsonValueKind.String:
                messages.Add(new JsonObject { ["role"] = role, ["content"] = text.GetValue<string>() });
                return null;
            case JsonArray parts:
                var content = new JsonArray();
                for (var j = 0; j < parts.Count; j++)
                    if (Part(parts[j], $"{at}.content[{j}]", role, kind, content) is { } invalid)
                        return invalid;
                // Chat takes text only from system and assistant messages: their parts as one string.
                messages.Add(new JsonObject
                {
                    ["role"] = role,
                    ["content"] = role == "user" ? content : string.Concat(content.Select(p => (string?)p!["text"])),
                });
                return null;
            default:
                return BodyFields.Expected(at + ".content", "a string or an array of content parts", item["content"]);
        }
    }

    private static InvalidParam? Part(JsonNode? node, string at, string role, string kind, JsonArray content)
    {
        if (BodyFields.PartType(node, at, out var type) is { } invalid)
            return invalid;
        var part = (JsonObject)node!;
        switch (type)
        {
            case "input_text" or "output_text":
                if (JsonFields.RequiredString(part["text"], at + ".text", out var text) is { } invalidText)
                    return invalidText;
                content.Add(new JsonObject { ["type"] = "text", ["text"] = text });
                return null;
            case "refusal" when role == "assistant":
                if (JsonFields.RequiredString(part["refusal"], at + ".refusal", out var refusal) is { } invalidRefusal)
                    return invalidRefusal;
                content.Add(new JsonObject { ["type"] = "text", ["text"] = refusal });
                return null;
            case "input_image" when role == "user":
                if (part["file_id"] is not null)
                    return Refusals.Unsupported(at + ".file_id", kind, "it names a file in OpenAI's storage; send the image as a data URL");
                if (JsonFields.RequiredString(part["image_url"], at + ".image_url", out var url) is { } invalidUrl)
                    return invalidUrl;
                var image = new JsonObject { ["url"] = url };
                if (part["detail"] is { } detail)
                    image["detail"] = detail.DeepClone();
                content.Add(new JsonObject { ["type"] = "image_url", ["image_url"] = image });
                return null;
            case "input_file" when role == "user":
                if (part["file_id"] is not null || part["file_url"] is not null)
                    return Refusals.Unsupported(at + (part["file_id"] is not null ? ".file_id" : ".file_url"), kind,
                        "only inline files ('file_data') are translated");
                var file = new JsonObject { ["file_data"] = part["file_data"]?.DeepClone() };
                if (part["filename"] is { } filename)
                    file["filename"] = filename.DeepClone();
                content.Add(new JsonObject { ["type"] = "file", ["file"] = file });
                return null;
            default:
                return Refusals.Invalid(at + ".type", $"a '{type}' part is not allowed in a '{role}' message");
        }
    }

    private static InvalidParam? Call(JsonObject item, string at, JsonArray messages)
    {
        if (JsonFields.RequiredString(item["call_id"], at + ".call_id", out var id) is { } invalidId)
            return invalidId;
        if (JsonFields.RequiredString(item["name"], at + ".name", out var name) is { } invalidName)
            return invalidName;
        if (JsonFields.RequiredString(item["arguments"], at + ".arguments", out var arguments) is { } invalidArguments)
            return invalidArguments;
        var call = new JsonObject { ["id"] = id, ["type"] = "function", ["function"] = new JsonObject { ["name"] = name, ["arguments"] = arguments } };
        // Calls right after the assistant's text (or after other calls) belong to that same assistant message.
        if (messages.Count > 0 && messages[^1] is JsonObject last && (string?)last["role"] == "assistant")
        {
            if (last["tool_calls"] is not JsonArray calls)
                last["tool_calls"] = calls = [];
            calls.Add(call);
            return null;
        }
        messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = null, ["tool_calls"] = new JsonArray(call) });
        return null;
    }

    private static InvalidParam? Output(JsonObject item, string at, JsonArray messages)
    {
        if (JsonFields.RequiredString(item["call_id"], at + ".call_id", out var id) is { } invalidId)
            return invalidId;
        string output;
        switch (item["output"])
        {
            case JsonValue text when text.GetValueKind() == JsonValueKind.String:
                output = text.GetValue<string>();
                break;
            case JsonArray parts:
                var texts = new List<string>();
                for (var j = 0; j < parts.Count; j++)
                {
                    if (BodyFields.PartType(parts[j], $"{at}.output[{j}]", out var type) is { } invalid)
                        return invalid;
                    if (type != "input_text")
                        return Refusals.Invalid($"{at}.output[{j}].type", "only text function outputs are translated");
                    if (JsonFields.RequiredString(parts[j]!["text"], $"{at}.output[{j}].text", out var part) is { } invalidText)
                        return invalidText;
                    texts.Add(part);
                }
                output = string.Concat(texts);
                break;
            case var other:
                return BodyFields.Expected(at + ".output", "a string", other);
        }
        messages.Add(new JsonObject { ["role"] = "tool", ["tool_call_id"] = id, ["content"] = output });
        return null;
    }
}
