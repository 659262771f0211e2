using System.Text.Json.Nodes;
using Governance.Domain.Usage;
using ProxyAdapter.Translation.Chat;

namespace ProxyAdapter.Translation.Gemini;

/// <summary>
/// A chat request as Google's Gemini API takes it (<c>models/{model}:generateContent</c>, or
/// <c>:streamGenerateContent?alt=sse</c>): turns as <c>contents</c> (the assistant is <c>model</c>), instructions as
/// <c>systemInstruction</c>, sampling and structured output (native: <c>responseMimeType</c> and <c>responseJsonSchema</c>) in
/// <c>generationConfig</c>, tools as <c>functionDeclarations</c> with their JSON Schema (<c>parametersJsonSchema</c>) and
/// <c>tool_choice</c> as <c>toolConfig.functionCallingConfig</c>. Images must be inline there: a URL image is refused, never fetched.
/// </summary>
public static class GeminiRequestWriter
{
    private const string Kind = TargetKinds.Gemini;

    public static InvalidParam? Write(ChatRequest request, out JsonObject body)
    {
        body = null!;
        if (Capabilities.Check(request, Kind, Capabilities.Gemini) is { } refused)
            return refused;
        var contents = new JsonArray();
        foreach (var turn in request.Turns)
            contents.Add(new JsonObject
            {
                ["role"] = turn.Role == Role.User ? "user" : "model",
                ["parts"] = new JsonArray([.. turn.Parts.Select(Part)]),
            });
        body = new JsonObject { ["contents"] = contents };
        if (request.Instructions.Count > 0)
            body["systemInstruction"] = new JsonObject
            {
                ["parts"] = new JsonArray([.. request.Instructions.Select(i => (JsonNode)new JsonObject { ["text"] = i.Text })]),
            };
        if (Generation(request) is { Count: > 0 } generation)
            body["generationConfig"] = generation;
        if (request.Tools.Count > 0)
            body["tools"] = new JsonArray(new JsonObject
            {
                ["functionDeclarations"] = new JsonArray([.. request.Tools.Select(Declaration)]),
            });
        if (Mode(request.ToolChoice) is { } mode)
            body["toolConfig"] = new JsonObject { ["functionCallingConfig"] = mode };
        return null;
    }


    private static JsonNode Part(Part part) => part switch
    {
        TextPart text => new JsonObject { ["text"] = text.Text },
        MediaPart media => new JsonObject { ["inlineData"] = new JsonObject { ["mimeType"] = media.MediaType, ["data"] = media.Base64 } },
        ToolCallPart call => new JsonObject { ["functionCall"] = new JsonObject { ["name"] = call.Name, ["args"] = call.Arguments.DeepClone() } },
        // Gemini reads "output" as the function's result (and "error" as its failure).
        ToolResultPart result => new JsonObject
        {
            ["functionResponse"] = new JsonObject { ["name"] = result.Name, ["response"] = new JsonObject { ["output"] = result.Text } },
        },
        _ => throw new ArgumentOutOfRangeException(nameof(part), part, null),
    };

    private static JsonObject Generation(ChatRequest request)
    {
        var config = new JsonObject();
        if (request.Temperature is { } temperature)
            config["temperature"] = temperature;
        if (request.TopP is { } topP)
            config["topP"] = topP;
        if (request.MaxTokens is { } max)
            config["maxOutputTokens"] = max;
        if (request.Stop.Count > 0)
            config["stopSequences"] = new JsonArray([.. request.Stop.Select(s => (JsonNode)s)]);
        if (request.N != 1)
            config["candidateCount"] = request.N;
        if (request.Seed is { } seed)
            config["seed"] = seed;
        if (request.PresencePenalty != 0)
            config["presencePenalty"] = request.PresencePenalty;
        if (request.FrequencyPenalty != 0)
            config["frequencyPenalty"] = request.FrequencyPenalty;
        if (request.Format.Kind != FormatKind.Text)
            config["responseMimeType"] = "application/json";
        if (request.Format is { Kind: FormatKind.JsonSchema, Schema: { } schema })
            config["responseJsonSchema"] = schema.DeepClone();
        return config;
    }

    private static JsonNode Declaration(ToolDefinition tool)
    {
        var declaration = new JsonObject { ["name"] = tool.Name };
        if (tool.Description is not null)
            declaration["description"] = tool.Description;
        declaration["parametersJsonSchema"] = tool.Parameters.DeepClone();
        return declaration;
    }

    private static JsonObject? Mode(ToolChoice? choice) => choice?.Mode switch
    {
        ToolChoiceMode.Auto => new JsonObject { ["mode"] = "AUTO" },
        ToolChoiceMode.None => new JsonObject { ["mode"] = "NONE" },
        ToolChoiceMode.Required => new JsonObject { ["mode"] = "ANY" },
        ToolChoiceMode.Named => new JsonObject { ["mode"] = "ANY", ["allowedFunctionNames"] = new JsonArray(choice.Name) },
        _ => null,
    };
}
