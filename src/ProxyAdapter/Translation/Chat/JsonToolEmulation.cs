using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Usage;

namespace ProxyAdapter.Translation.Chat;

/// <summary>
/// Structured output for providers without a JSON mode of their own (Anthropic, Bedrock): the schema becomes the only tool,
/// the model is forced to call it, and the call's arguments become the answer's text (finish reason <c>stop</c>). The client
/// cannot bring tools of its own then: the forced call would crowd them out, so that is refused.
/// </summary>
public static class JsonToolEmulation
{
    /// <summary>The tool's name when the client asked for JSON mode without a schema.</summary>
    public const string JsonObjectTool = "json_answer";

    public sealed record Tool(string Name, string Description, JsonObject Schema);

    public static InvalidParam? Plan(ChatRequest request, string kind, out Tool? tool)
    {
        tool = null;
        if (request.Format.Kind == FormatKind.Text)
            return null;
        if (request.Tools.Count > 0)
            return Refusals.Unsupported("response_format", kind, "structured output is emulated there with a forced tool call, which cannot be combined with 'tools'");
        if (request.ToolChoice is { Mode: not ToolChoiceMode.Auto })
            return Refusals.Unsupported("tool_choice", kind, "structured output is emulated there with a forced tool call");
        if (request.Format.Kind == FormatKind.JsonObject)
        {
            tool = new Tool(JsonObjectTool, "Give your final answer as this tool's input: a JSON object.", new JsonObject { ["type"] = "object" });
            return null;
        }
        var schema = request.Format.Schema!;
        if (schema["type"] is not JsonValue type || type.GetValueKind() != JsonValueKind.String || type.GetValue<string>() != "object")
            return Refusals.Invalid("response_format.json_schema.schema", "the schema's root must be {\"type\":\"object\"} to be emulated with a tool call");
        var description = "Give your final answer as this tool's input." + (request.Format.Description is { } d ? " " + d : "");
        tool = new Tool(request.Format.Name!, description, (JsonObject)schema.DeepClone());
        return null;
    }
}
