using System.Text.Json.Nodes;
using Governance.Domain.Usage;
using ProxyAdapter.Surfaces;

namespace ProxyAdapter.Translation.Messages;

/// <summary>
/// Anthropic's <c>tools</c> (client tools: name, description, <c>input_schema</c>) and <c>tool_choice</c>
/// (auto / any / tool / none, with <c>disable_parallel_tool_use</c>) as OpenAI's function tools, <c>tool_choice</c> and
/// <c>parallel_tool_calls</c>. Anthropic's server tools (web search, code execution, …) run at Anthropic and are refused.
/// </summary>
internal static class MessagesTools
{
    public static InvalidParam? Read(JsonObject body, JsonObject chat, string kind)
    {
        if (JsonFields.Array(body["tools"], "tools", out var tools) is { } invalidTools)
            return invalidTools;
        var functions = new JsonArray();
        for (var i = 0; tools is not null && i < tools.Count; i++)
        {
            var at = $"tools[{i}]";
            if (tools[i] is not JsonObject tool)
                return BodyFields.Expected(at, "an object", tools[i]);
            if (tool["type"] is not null && (JsonFields.String(tool["type"], at + ".type", out var type) ?? (type == "custom" ? null
                    : Refusals.Unsupported(at + ".type", kind, $"'{type}' is one of Anthropic's server tools"))) is { } invalidType)
                return invalidType;
            if (MessagesRequestReader.Known(tool, at, "type", "name", "description", "input_schema", "cache_control") is { } unknown)
                return unknown;
            if (JsonFields.RequiredString(tool["name"], at + ".name", out var name) is { } invalidName)
                return invalidName;
            if (JsonFields.String(tool["description"], at + ".description", out var description) is { } invalidDescription)
                return invalidDescription;
            if (tool["input_schema"] is not JsonObject schema)
                return BodyFields.Expected(at + ".input_schema", "an object", tool["input_schema"]);
            var function = new JsonObject { ["name"] = name };
            if (description is not null)
                function["description"] = description;
            function["parameters"] = schema.DeepClone();
            functions.Add(new JsonObject { ["type"] = "function", ["function"] = function });
        }
        if (functions.Count > 0)
            chat["tools"] = functions;
        return Choice(body["tool_choice"], chat, functions.Count > 0);
    }

    private static InvalidParam? Choice(JsonNode? node, JsonObject chat, bool hasTools)
    {
        if (node is null)
            return null;
        if (BodyFields.PartType(node, "tool_choice", out var type) is { } invalid)
            return invalid;
        var choice = (JsonObject)node;
        if (MessagesRequestReader.Known(choice, "tool_choice", "type", "name", "disable_parallel_tool_use") is { } unknown)
            return unknown;
        if (BodyFields.Flag(choice, "disable_parallel_tool_use", out var single, "tool_choice.disable_parallel_tool_use") is { } invalidSingle)
            return invalidSingle;
        switch (type)
        {
            case "auto":
                chat["tool_choice"] = "auto";
                break;
            case "any":
                chat["tool_choice"] = "required";
                break;
            case "none":
                chat["tool_choice"] = "none";
                break;
            case "tool":
                if (JsonFields.RequiredString(choice["name"], "tool_choice.name", out var name) is { } invalidName)
                    return invalidName;
                chat["tool_choice"] = new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = name } };
                break;
            default:
                return Refusals.Invalid("tool_choice.type", $"expected 'auto', 'any', 'tool' or 'none', not '{type}'");
        }
        if (!hasTools)
            chat.Remove("tool_choice");
        else if (single && type != "none")
            chat["parallel_tool_calls"] = false;
        return null;
    }
}
