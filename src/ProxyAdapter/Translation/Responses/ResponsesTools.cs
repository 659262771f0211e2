using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Usage;
using ProxyAdapter.Surfaces;

namespace ProxyAdapter.Translation.Responses;

/// <summary>
/// Responses' function tools (flat: <c>{type, name, description, parameters, strict}</c>) and <c>tool_choice</c> as chat's
/// (nested under <c>function</c>). Built-in tools run at OpenAI and are refused naming them.
/// </summary>
internal static class ResponsesTools
{
    public static InvalidParam? Read(JsonObject body, JsonObject chat, string kind)
    {
        if (JsonFields.Array(body["tools"], "tools", out var tools) is { } invalidTools)
            return invalidTools;
        var functions = new JsonArray();
        for (var i = 0; tools is not null && i < tools.Count; i++)
        {
            var at = $"tools[{i}]";
            if (BodyFields.PartType(tools[i], at, out var type) is { } invalid)
                return invalid;
            if (type != "function")
                return Refusals.Unsupported(at + ".type", kind, $"'{type}' is one of OpenAI's built-in tools");
            var function = new JsonObject();
            foreach (var (name, value) in (JsonObject)tools[i]!)
                if (name != "type")
                    function[name] = value?.DeepClone();
            functions.Add(new JsonObject { ["type"] = "function", ["function"] = function });
        }
        if (functions.Count > 0)
            chat["tools"] = functions;
        switch (body["tool_choice"])
        {
            case null:
                return null;
            case JsonValue mode when mode.GetValueKind() == JsonValueKind.String:
                chat["tool_choice"] = mode.DeepClone();
                return null;
            case JsonObject named when named["type"] is JsonValue t && t.GetValueKind() == JsonValueKind.String && t.GetValue<string>() == "function":
                if (JsonFields.RequiredString(named["name"], "tool_choice.name", out var toolName) is { } invalidName)
                    return invalidName;
                chat["tool_choice"] = new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = toolName } };
                return null;
            default:
                return Refusals.Unsupported("tool_choice", kind, "only 'none', 'auto', 'required' or a named function are translated");
        }
    }
}
