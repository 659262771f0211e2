using System.Text.Json.Nodes;
using Governance.Domain.Usage;
using ProxyAdapter.Translation.Chat;

namespace ProxyAdapter.Translation.Anthropic;

/// <summary>
/// A chat request as Anthropic's Messages API takes it (POST /messages). Instructions become <c>system</c>; tool results
/// become <c>tool_result</c> blocks; <c>max_tokens</c> is required there, so the target's default is sent when the client gave
/// none. Anthropic's temperature stops at 1. JSON mode and structured output are emulated (<see cref="JsonToolEmulation"/>).
/// </summary>
public static class AnthropicRequestWriter
{
    private const string Kind = TargetKinds.Anthropic;

    public static InvalidParam? Write(ChatRequest request, ModelTarget target, out JsonObject body, out string? jsonTool)
    {
        body = null!;
        jsonTool = null;
        if (Capabilities.Check(request, Kind, Capabilities.Anthropic) is { } refused)
            return refused;
        if (JsonToolEmulation.Plan(request, Kind, out var emulated) is { } invalidFormat)
            return invalidFormat;
        var messages = new JsonArray();
        foreach (var turn in request.Turns)
        {
            var blocks = new JsonArray();
            foreach (var part in turn.Parts)
                blocks.Add(Block(part));
            messages.Add(new JsonObject { ["role"] = turn.Role == Role.User ? "user" : "assistant", ["content"] = blocks });
        }
        body = new JsonObject { ["model"] = target.UpstreamModel, ["max_tokens"] = request.MaxTokens ?? target.DefaultMaxTokens, ["messages"] = messages };
        if (request.Instructions.Count > 0)
            body["system"] = new JsonArray([.. request.Instructions.Select(i => (JsonNode)new JsonObject { ["type"] = "text", ["text"] = i.Text })]);
        if (request.Temperature is { } temperature)
            body["temperature"] = temperature;
        if (request.TopP is { } topP)
            body["top_p"] = topP;
        if (request.Stop.Count > 0)
            body["stop_sequences"] = new JsonArray([.. request.Stop.Select(s => (JsonNode)s)]);
        if (request.User is { } user)
            body["metadata"] = new JsonObject { ["user_id"] = user };
        if (request.Stream)
            body["stream"] = true;
        Tools(request, emulated, body);
        jsonTool = emulated?.Name;
        return null;
    }


    private static JsonObject Block(Part part) => part switch
    {
        TextPart text => new JsonObject { ["type"] = "text", ["text"] = text.Text },
        MediaPart { Url: { } url } => new JsonObject { ["type"] = "image", ["source"] = new JsonObject { ["type"] = "url", ["url"] = url } },
        MediaPart media => new JsonObject
        {
            ["type"] = media.Kind == MediaKind.Document ? "document" : "image",
            ["source"] = new JsonObject { ["type"] = "base64", ["media_type"] = media.MediaType, ["data"] = media.Base64 },
        },
        ToolCallPart call => new JsonObject { ["type"] = "tool_use", ["id"] = call.Id, ["name"] = call.Name, ["input"] = call.Arguments.DeepClone() },
        ToolResultPart result => new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = result.CallId, ["content"] = result.Text },
        _ => throw new ArgumentOutOfRangeException(nameof(part), part, null),
    };

    private static void Tools(ChatRequest request, JsonToolEmulation.Tool? emulated, JsonObject body)
    {
        if (emulated is not null)
        {
            body["tools"] = new JsonArray(Tool(emulated.Name, emulated.Description, emulated.Schema));
            body["tool_choice"] = new JsonObject { ["type"] = "tool", ["name"] = emulated.Name };
            return;
        }
        if (request.Tools.Count > 0)
            body["tools"] = new JsonArray([.. request.Tools.Select(t => (JsonNode)Tool(t.Name, t.Description, t.Parameters))]);
        var choice = request.ToolChoice?.Mode switch
        {
            ToolChoiceMode.None => new JsonObject { ["type"] = "none" },
            ToolChoiceMode.Required => new JsonObject { ["type"] = "any" },
            ToolChoiceMode.Named => new JsonObject { ["type"] = "tool", ["name"] = request.ToolChoice.Name },
            ToolChoiceMode.Auto => new JsonObject { ["type"] = "auto" },
            _ => null,
        };
        // Anthropic says "one call at most" on the tool choice; "none" calls nothing anyway.
        if (!request.ParallelToolCalls && request.Tools.Count > 0 && request.ToolChoice?.Mode != ToolChoiceMode.None)
        {
            choice ??= new JsonObject { ["type"] = "auto" };
            choice["disable_parallel_tool_use"] = true;
        }
        if (choice is not null)
            body["tool_choice"] = choice;
    }

    private static JsonObject Tool(string name, string? description, JsonObject schema)
    {
        var tool = new JsonObject { ["name"] = name };
        if (description is not null)
            tool["description"] = description;
        tool["input_schema"] = schema.DeepClone();
        return tool;
    }
}
