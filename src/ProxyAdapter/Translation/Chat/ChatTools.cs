using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Usage;
using ProxyAdapter.Surfaces;

namespace ProxyAdapter.Translation.Chat;

/// <summary>OpenAI's <c>tools</c>, <c>tool_choice</c>, <c>parallel_tool_calls</c> and <c>response_format</c>, read strictly.</summary>
internal static class ChatTools
{
    public static InvalidParam? Read(JsonObject body, out IReadOnlyList<ToolDefinition> tools, out ToolChoice? choice, out bool parallel)
    {
        tools = [];
        choice = null;
        if (BodyFields.Flag(body, "parallel_tool_calls", out parallel, "parallel_tool_calls") is { } invalidParallel)
            return invalidParallel;
        parallel = body["parallel_tool_calls"] is null || parallel;
        if (JsonFields.Array(body["tools"], "tools", out var array) is { } invalidTools)
            return invalidTools;
        var definitions = new List<ToolDefinition>();
        for (var i = 0; array is not null && i < array.Count; i++)
        {
            if (Definition(array[i], $"tools[{i}]", out var definition) is { } invalid)
                return invalid;
            definitions.Add(definition);
        }
        tools = definitions;
        return Choice(body["tool_choice"], tools, out choice);
    }

    private static InvalidParam? Definition(JsonNode? node, string param, out ToolDefinition definition)
    {
        definition = null!;
        if (BodyFields.PartType(node, param, out var type) is { } invalid)
            return invalid;
        if (type != "function")
            return Refusals.Invalid(param + ".type", $"only 'function' tools are translated, not '{type}'");
        var tool = (JsonObject)node!;
        if (tool["function"] is not JsonObject function)
            return BodyFields.Expected(param + ".function", "an object", tool["function"]);
        var at = param + ".function";
        if (JsonFields.RequiredString(function["name"], at + ".name", out var name) is { } invalidName)
            return invalidName;
        if (JsonFields.String(function["description"], at + ".description", out var description) is { } invalidDescription)
            return invalidDescription;
        if (JsonFields.Object(function["parameters"], at + ".parameters", out var parameters) is { } invalidParameters)
            return invalidParameters;
        if (BodyFields.Flag(function, "strict", out var strict, at + ".strict") is { } invalidStrict)
            return invalidStrict;
        // OpenAI: a function without parameters takes none. Providers that require a schema get that said explicitly.
        definition = new ToolDefinition(name, description, parameters ?? new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() }, strict, param);
        return null;
    }

    private static InvalidParam? Choice(JsonNode? node, IReadOnlyList<ToolDefinition> tools, out ToolChoice? choice)
    {
        choice = null;
        switch (node)
        {
            case null:
                return null;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                choice = value.GetValue<string>() switch
                {
                    "auto" => new ToolChoice(ToolChoiceMode.Auto),
                    "none" => new ToolChoice(ToolChoiceMode.None),
                    "required" => new ToolChoice(ToolChoiceMode.Required),
                    _ => null,
                };
                return choice is null ? Refusals.Invalid("tool_choice", "expected 'none', 'auto', 'required' or a named function") : null;
            case JsonObject named when named["type"] is JsonValue t && t.GetValueKind() == JsonValueKind.String && t.GetValue<string>() == "function":
                if (named["function"] is not JsonObject function)
                    return BodyFields.Expected("tool_choice.function", "an object", named["function"]);
                if (JsonFields.RequiredString(function["name"], "tool_choice.function.name", out var name) is { } invalid)
                    return invalid;
                if (tools.All(tool => tool.Name != name))
                    return Refusals.Invalid("tool_choice.function.name", $"no tool named '{name}' is defined in 'tools'");
                choice = new ToolChoice(ToolChoiceMode.Named, name);
                return null;
            default:
                return Refusals.Invalid("tool_choice", "expected 'none', 'auto', 'required' or {\"type\":\"function\",\"function\":{\"name\":…}}");
        }
    }

    public static InvalidParam? Format(JsonNode? node, out ResponseFormat format)
    {
        format = ResponseFormat.Text;
        if (node is null)
            return null;
        if (BodyFields.PartType(node, "response_format", out var type) is { } invalid)
            return invalid;
        switch (type)
        {
            case "text":
                return null;
            case "json_object":
                format = new ResponseFormat(FormatKind.JsonObject);
                return null;
            case "json_schema":
                if (node["json_schema"] is not JsonObject spec)
                    return BodyFields.Expected("response_format.json_schema", "an object", node["json_schema"]);
                if (JsonFields.RequiredString(spec["name"], "response_format.json_schema.name", out var name) is { } invalidName)
                    return invalidName;
                if (JsonFields.String(spec["description"], "response_format.json_schema.description", out var description) is { } invalidDescription)
                    return invalidDescription;
                if (JsonFields.Object(spec["schema"], "response_format.json_schema.schema", out var schema) is { } invalidSchema)
                    return invalidSchema;
                if (BodyFields.Flag(spec, "strict", out var strict, "response_format.json_schema.strict") is { } invalidStrict)
                    return invalidStrict;
                format = new ResponseFormat(FormatKind.JsonSchema, name, schema ?? new JsonObject { ["type"] = "object" }, strict, description);
                return null;
            default:
                return Refusals.Invalid("response_format.type", $"expected 'text', 'json_object' or 'json_schema', not '{type}'");
        }
    }
}
