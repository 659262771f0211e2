using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Usage;
using ProxyAdapter.Translation;

namespace ProxyAdapter.Surfaces;

/// <summary>
/// An OpenAI Responses request (<c>POST /v1/responses</c>), read strictly before any provider is chosen. Every app shares
/// the provider account, so nothing that stores a response or reads what the account stored is let through: <c>store</c>
/// is sent as <c>false</c> (absent means false here), and <c>store: true</c>, <c>previous_response_id</c>,
/// <c>conversation</c>, <c>background</c>, <c>prompt</c>, <c>item_reference</c> items, reasoning items without their
/// <c>encrypted_content</c> and <c>file_id</c> parts are refused naming the field (docs/providers.md, "Stored state").
/// Built-in tools (web search, file search, code interpreter, MCP, …) are refused too: they are billed per call outside the
/// token usage the gateway prices, and some read the account's stores. Unknown fields are refused (fail closed).
/// </summary>
internal static class ResponsesBody
{
    /// <summary>Fields forwarded as the client sent them: the provider judges their values.</summary>
    private static readonly FrozenSet<string> FreeForm = FrozenSet.Create(
        "metadata", "parallel_tool_calls", "prompt_cache_key", "prompt_cache_retention", "reasoning", "safety_identifier", "service_tier",
        "stream_options", "temperature", "text", "tool_choice", "top_p", "truncation", "user");

    /// <summary>Fields read here, strictly.</summary>
    private static readonly FrozenSet<string> Checked = FrozenSet.Create(
        "model", "input", "instructions", "max_output_tokens", "max_tool_calls", "top_logprobs", "stream", "store", "tools", "include",
        "previous_response_id", "conversation", "background", "prompt");

    /// <summary>What <c>include</c> may ask for: nothing of the built-in tools, nothing stored.</summary>
    private static readonly FrozenSet<string> Includable = FrozenSet.Create(
        "reasoning.encrypted_content", "message.output_text.logprobs", "message.input_image.image_url");

    private static readonly FrozenSet<string> TextParts = FrozenSet.Create("input_text", "output_text", "refusal", "summary_text");
    private static readonly FrozenSet<string> BilledParts = FrozenSet.Create("input_image", "input_file", "input_audio");

    public const string StoredState = "stored_state_not_supported";

    public static InvalidParam? Read(JsonObject body, out RequestedUse use, out bool streaming)
    {
        use = RequestedUse.InputOnly;
        streaming = false;
        foreach (var (name, _) in body)
            if (!FreeForm.Contains(name) && !Checked.Contains(name))
                return Refusals.Unknown(name);
        if (Stateless(body) is { } stored)
            return stored;
        if (BodyFields.Flag(body, "stream", out streaming) is { } stream)
            return stream;
        if (BodyFields.Integer(body, "max_output_tokens", 1, Pricing.MaxTokens, out var maxOutput) is { } max)
            return max;
        if (BodyFields.Integer(body, "max_tool_calls", 1, int.MaxValue, out _) is { } maxToolCalls)
            return maxToolCalls;
        if (BodyFields.Integer(body, "top_logprobs", 0, 20, out _) is { } logprobs)
            return logprobs;
        if (JsonFields.String(body["instructions"], "instructions", out _) is { } instructions)
            return instructions;
        if ((Tools(body) ?? Include(body)) is { } invalid)
            return invalid;
        var parts = new PartTally();
        if (ResponsesItems.Read(body["input"], parts) is { } input)
            return input;
        use = new RequestedUse(maxOutput, 1, parts.Count) { OutputParam = "max_output_tokens", PartParam = parts.First ?? "input" };
        // Nothing is stored at the provider: no other app can read or continue this response there.
        body["store"] = false;
        return null;
    }

    private static InvalidParam? Stateless(JsonObject body)
    {
        if (BodyFields.Flag(body, "store", out var store) is { } invalidStore)
            return invalidStore;
        if (store)
            return Refused("store", "stored responses are shared by every application of the provider account; send \"store\": false (the default here)");
        if (BodyFields.Flag(body, "background", out var background) is { } invalidBackground)
            return invalidBackground;
        if (background)
            return Refused("background", "a background response is stored at the provider; call without it");
        foreach (var name in (ReadOnlySpan<string>)["previous_response_id", "conversation"])
            if (body[name] is not null)
                return Refused(name, "it continues a response stored at the provider, and this gateway stores none; send the whole conversation in 'input'");
        return body["prompt"] is null ? null : Refused("prompt", "a stored prompt is shared by every application of the provider account; send 'instructions' instead");
    }

    internal static InvalidParam Refused(string param, string why) =>
        new(param, StoredState, $"Unsupported parameter: '{param}' is not supported by this gateway: {why}.");

    private static InvalidParam? Tools(JsonObject body)
    {
        if (JsonFields.Array(body["tools"], "tools", out var tools) is { } invalid)
            return invalid;
        for (var i = 0; tools is not null && i < tools.Count; i++)
        {
            if (BodyFields.PartType(tools[i], $"tools[{i}]", out var type) is { } invalidType)
                return invalidType;
            if (type is not ("function" or "custom"))
                return new InvalidParam($"tools[{i}].type", Refusals.UnsupportedValueCode,
                    $"Unsupported value: '{(type.Length <= 64 ? type : type[..64] + "…")}' is one of OpenAI's built-in tools, which this gateway does not offer: they are billed outside the token usage it prices. Use function tools.");
        }
        return null;
    }

    private static InvalidParam? Include(JsonObject body)
    {
        if (JsonFields.Array(body["include"], "include", out var include) is { } invalid)
            return invalid;
        for (var i = 0; include is not null && i < include.Count; i++)
        {
            var at = $"include[{i}]";
            if (JsonFields.RequiredString(include[i], at, out var value) is { } invalidValue)
                return invalidValue;
            if (!Includable.Contains(value))
                return new InvalidParam(at, Refusals.UnsupportedValueCode,
                    $"Unsupported value: '{at}' may be one of {string.Join(", ", Includable.Order().Select(v => $"'{v}'"))}.");
        }
        return null;
    }

    /// <summary>The text, billed and unknown part types of message content and tool outputs.</summary>
    internal static InvalidParam? Parts(JsonArray parts, string at, PartTally tally)
    {
        for (var j = 0; j < parts.Count; j++)
            if (parts[j] is JsonObject part && part["file_id"] is not null)
                return Refused($"{at}[{j}].file_id", "files in the provider account's storage are shared by every application; send the content inline");
        return BodyFields.Parts(parts, at, TextParts, BilledParts, tally);
    }
}

/// <summary>
/// A Responses <c>input</c>: a string, or items. Messages (typed or not) with text, image, file and audio parts; function
/// and custom tool calls and their outputs; reasoning items that carry their <c>encrypted_content</c>. Anything else names
/// state kept at the provider or a built-in tool, and is refused.
/// </summary>
internal static class ResponsesItems
{
    private static readonly FrozenSet<string> Calls = FrozenSet.Create("function_call", "custom_tool_call");
    private static readonly FrozenSet<string> Outputs = FrozenSet.Create("function_call_output", "custom_tool_call_output");

    public static InvalidParam? Read(JsonNode? input, PartTally parts)
    {
        switch (input)
        {
            case null:
                return new InvalidParam("input", InvalidParam.Missing, "Missing required parameter: 'input'.");
            case JsonValue text when text.GetValueKind() == JsonValueKind.String:
                return null;
            case JsonArray items:
                for (var i = 0; i < items.Count; i++)
                    if (Item(items[i], $"input[{i}]", parts) is { } invalid)
                        return invalid;
                return null;
            default:
                return BodyFields.Expected("input", "a string or an array of input items", input);
        }
    }

    private static InvalidParam? Item(JsonNode? node, string at, PartTally parts)
    {
        if (node is not JsonObject item)
            return BodyFields.Expected(at, "an object", node);
        if (JsonFields.String(item["type"], at + ".type", out var type) is { } invalidType)
            return invalidType;
        type ??= "message";
        if (type == "message")
            return item["content"] switch
            {
                JsonValue text when text.GetValueKind() == JsonValueKind.String => null,
                JsonArray content => ResponsesBody.Parts(content, at + ".content", parts),
                var other => BodyFields.Expected(at + ".content", "a string or an array of content parts", other),
            };
        if (Calls.Contains(type))
            return null;
        if (Outputs.Contains(type))
            return item["output"] is JsonArray output ? ResponsesBody.Parts(output, at + ".output", parts) : null;
        if (type == "reasoning")
            return item["encrypted_content"] is JsonValue encrypted && encrypted.GetValueKind() == JsonValueKind.String ? null
                : ResponsesBody.Refused(at + ".encrypted_content",
                    "a reasoning item without it is read from the provider's store; ask for 'include': [\"reasoning.encrypted_content\"] and send it back");
        if (type == "item_reference")
            return ResponsesBody.Refused(at + ".type", "an item reference reads a response stored at the provider, and this gateway stores none");
        return new InvalidParam(at + ".type", Refusals.UnsupportedValueCode,
            $"Unsupported value: a '{(type.Length <= 64 ? type : type[..64] + "…")}' item belongs to a built-in tool or stored state, which this gateway does not offer.");
    }
}
