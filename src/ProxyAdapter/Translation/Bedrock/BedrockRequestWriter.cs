using System.Text.Json.Nodes;
using Governance.Domain.Usage;
using ProxyAdapter.Translation.Chat;

namespace ProxyAdapter.Translation.Bedrock;

/// <summary>
/// A chat request as AWS Bedrock's Converse API takes it (<c>POST /model/{modelId}/converse</c>, or <c>/converse-stream</c>):
/// turns as <c>messages</c> of content blocks (<c>text</c>, <c>image</c> and <c>document</c> with their bytes inline,
/// <c>toolUse</c>, <c>toolResult</c>), instructions as <c>system</c>, sampling and limits in <c>inferenceConfig</c>, tools in
/// <c>toolConfig</c>. Bedrock takes images as bytes (or from S3), so a URL image is refused, never fetched. It has no JSON mode:
/// structured output is emulated with a forced tool (<see cref="JsonToolEmulation"/>).
/// </summary>
public static class BedrockRequestWriter
{
    private const string Kind = TargetKinds.Bedrock;

    public static InvalidParam? Write(ChatRequest request, out JsonObject body, out string? jsonTool)
    {
        body = null!;
        jsonTool = null;
        if (Unsupported(request) is { } refused)
            return refused;
        if (JsonToolEmulation.Plan(request, Kind, out var emulated) is { } invalidFormat)
            return invalidFormat;
        var messages = new JsonArray();
        foreach (var turn in request.Turns)
            messages.Add(new JsonObject
            {
                ["role"] = turn.Role == Role.User ? "user" : "assistant",
                ["content"] = new JsonArray([.. turn.Parts.Select(Block)]),
            });
        body = new JsonObject { ["messages"] = messages };
        if (request.Instructions.Count > 0)
            body["system"] = new JsonArray([.. request.Instructions.Select(i => (JsonNode)new JsonObject { ["text"] = i.Text })]);
        var inference = new JsonObject();
        if (request.MaxTokens is { } max)
            inference["maxTokens"] = max;
        if (request.Temperature is { } temperature)
            inference["temperature"] = temperature;
        if (request.TopP is { } topP)
            inference["topP"] = topP;
        if (request.Stop.Count > 0)
            inference["stopSequences"] = new JsonArray([.. request.Stop.Select(s => (JsonNode)s)]);
        if (inference.Count > 0)
            body["inferenceConfig"] = inference;
        if (ToolConfig(request, emulated) is { } tools)
            body["toolConfig"] = tools;
        jsonTool = emulated?.Name;
        return null;
    }

    private static InvalidParam? Unsupported(ChatRequest request)
    {
        if (Capabilities.Check(request, Kind, Capabilities.Bedrock) is { } refused)
            return refused;
        // Converse has no "none": without tools the model cannot call one, but a conversation with calls in it needs them declared.
        return request.ToolChoice?.Mode == ToolChoiceMode.None && request.Tools.Count > 0 && request.HasToolHistory
            ? Refusals.UnsupportedValue("tool_choice", Kind, "cannot be 'none' in a conversation that already has tool calls")
            : null;
    }

    private static JsonNode Block(Part part) => part switch
    {
        TextPart text => new JsonObject { ["text"] = text.Text },
        MediaPart { Kind: MediaKind.Document } document => new JsonObject
        {
            ["document"] = new JsonObject
            {
                ["format"] = "pdf",
                ["name"] = DocumentName(document.Filename),
                ["source"] = new JsonObject { ["bytes"] = document.Base64 },
            },
        },
        MediaPart image => new JsonObject
        {
            ["image"] = new JsonObject { ["format"] = image.MediaType["image/".Length..], ["source"] = new JsonObject { ["bytes"] = image.Base64 } },
        },
        ToolCallPart call => new JsonObject
        {
            ["toolUse"] = new JsonObject { ["toolUseId"] = call.Id, ["name"] = call.Name, ["input"] = call.Arguments.DeepClone() },
        },
        ToolResultPart result => new JsonObject
        {
            ["toolResult"] = new JsonObject
            {
                ["toolUseId"] = result.CallId,
                ["content"] = new JsonArray(new JsonObject { ["text"] = result.Text }),
            },
        },
        _ => throw new ArgumentOutOfRangeException(nameof(part), part, null),
    };

    /// <summary>Bedrock allows letters, digits, spaces, hyphens, parentheses and brackets in a document's name.</summary>
    private static string DocumentName(string? filename)
    {
        var name = new string([.. (Path.GetFileNameWithoutExtension(filename) ?? "").Where(c => char.IsAsciiLetterOrDigit(c) || c is ' ' or '-' or '(' or ')' or '[' or ']')]).Trim();
        return name.Length == 0 ? "document" : name;
    }

    private static JsonObject? ToolConfig(ChatRequest request, JsonToolEmulation.Tool? emulated)
    {
        if (emulated is not null)
            return new JsonObject
            {
                ["tools"] = new JsonArray(Spec(emulated.Name, emulated.Description, emulated.Schema)),
                ["toolChoice"] = new JsonObject { ["tool"] = new JsonObject { ["name"] = emulated.Name } },
            };
        if (request.Tools.Count == 0 || request.ToolChoice?.Mode == ToolChoiceMode.None && !request.HasToolHistory)
            return null;
        var config = new JsonObject { ["tools"] = new JsonArray([.. request.Tools.Select(t => Spec(t.Name, t.Description, t.Parameters))]) };
        var choice = request.ToolChoice?.Mode switch
        {
            ToolChoiceMode.Auto => new JsonObject { ["auto"] = new JsonObject() },
            ToolChoiceMode.Required => new JsonObject { ["any"] = new JsonObject() },
            ToolChoiceMode.Named => new JsonObject { ["tool"] = new JsonObject { ["name"] = request.ToolChoice.Name } },
            _ => null,
        };
        if (choice is not null)
            config["toolChoice"] = choice;
        return config;
    }

    private static JsonNode Spec(string name, string? description, JsonObject schema)
    {
        var spec = new JsonObject { ["name"] = name };
        if (description is not null)
            spec["description"] = description;
        spec["inputSchema"] = new JsonObject { ["json"] = schema.DeepClone() };
        return new JsonObject { ["toolSpec"] = spec };
    }
}
