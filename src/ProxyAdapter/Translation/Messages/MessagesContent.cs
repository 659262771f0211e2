using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Usage;
using ProxyAdapter.Surfaces;
using ProxyAdapter.Translation.Chat;

namespace ProxyAdapter.Translation.Messages;

/// <summary>
/// The content blocks of an Anthropic turn as OpenAI chat messages. A user turn's <c>tool_result</c> blocks become
/// <c>role: tool</c> messages first (OpenAI wants them right after the calls), then its text, images and PDFs one user
/// message; a tool result marked <c>is_error</c> has its text prefixed <c>[tool error] </c>, OpenAI having no such flag.
/// An assistant turn is one message with its text and <c>tool_calls</c>. Thinking blocks have no counterpart and are refused.
/// </summary>
internal static class MessagesContent
{
    public const string ToolErrorPrefix = "[tool error] ";

    public static InvalidParam? User(JsonArray blocks, string param, string kind, JsonArray messages)
    {
        var parts = new JsonArray();
        for (var i = 0; i < blocks.Count; i++)
        {
            var at = $"{param}[{i}]";
            if (BodyFields.PartType(blocks[i], at, out var type) is { } invalid)
                return invalid;
            var block = (JsonObject)blocks[i]!;
            var problem = type switch
            {
                "text" => Text(block, at, parts),
                "image" => Image(block, at, parts),
                "document" => Document(block, at, parts),
                "tool_result" => ToolResult(block, at, messages),
                _ => Refusals.Unsupported(at + ".type", kind, $"a '{type}' block has no counterpart there"),
            };
            if (problem is not null)
                return problem;
        }
        if (parts.Count > 0)
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = parts });
        return null;
    }

    public static InvalidParam? Assistant(JsonArray blocks, string param, string kind, JsonArray messages)
    {
        var texts = new List<string>();
        var calls = new JsonArray();
        for (var i = 0; i < blocks.Count; i++)
        {
            var at = $"{param}[{i}]";
            if (BodyFields.PartType(blocks[i], at, out var type) is { } invalid)
                return invalid;
            var block = (JsonObject)blocks[i]!;
            switch (type)
            {
                case "text":
                    if (MessagesRequestReader.Known(block, at, "type", "text", "cache_control", "citations") is { } unknown)
                        return unknown;
                    if (JsonFields.RequiredString(block["text"], at + ".text", out var text) is { } invalidText)
                        return invalidText;
                    texts.Add(text);
                    break;
                case "tool_use":
                    if (ToolUse(block, at, calls) is { } invalidCall)
                        return invalidCall;
                    break;
                default:
                    return Refusals.Unsupported(at + ".type", kind, $"a '{type}' block has no counterpart there");
            }
        }
        var message = new JsonObject { ["role"] = "assistant", ["content"] = texts.Count > 0 ? string.Concat(texts) : null };
        if (calls.Count > 0)
            message["tool_calls"] = calls;
        messages.Add(message);
        return null;
    }

    private static InvalidParam? Text(JsonObject block, string at, JsonArray parts)
    {
        if (MessagesRequestReader.Known(block, at, "type", "text", "cache_control", "citations") is { } unknown)
            return unknown;
        if (JsonFields.RequiredString(block["text"], at + ".text", out var text) is { } invalid)
            return invalid;
        parts.Add(new JsonObject { ["type"] = "text", ["text"] = text });
        return null;
    }

    private static InvalidParam? Image(JsonObject block, string at, JsonArray parts)
    {
        if (MessagesRequestReader.Known(block, at, "type", "source", "cache_control") is { } unknown)
            return unknown;
        if (Source(block, at, out var url, out var mediaType) is { } invalid)
            return invalid;
        if (mediaType is not null && !ChatMedia.ImageTypes.Contains(mediaType))
            return Refusals.Invalid(at + ".source.media_type", $"images must be PNG, JPEG, GIF or WebP, not '{mediaType}'");
        parts.Add(new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = url } });
        return null;
    }

    private static InvalidParam? Document(JsonObject block, string at, JsonArray parts)
    {
        if (MessagesRequestReader.Known(block, at, "type", "source", "title", "cache_control") is { } unknown)
            return unknown;
        if (JsonFields.String(block["title"], at + ".title", out var title) is { } invalidTitle)
            return invalidTitle;
        if (Source(block, at, out var url, out var mediaType) is { } invalid)
            return invalid;
        if (mediaType != "application/pdf")
            return Refusals.Invalid(at + ".source", "only base64 PDF documents are translated");
        var file = new JsonObject { ["file_data"] = url, ["filename"] = title ?? "document.pdf" };
        parts.Add(new JsonObject { ["type"] = "file", ["file"] = file });
        return null;
    }

    /// <summary>A base64 source as a data URL (its media type given), or a URL source as itself (no media type).</summary>
    private static InvalidParam? Source(JsonObject block, string at, out string url, out string? mediaType)
    {
        url = "";
        mediaType = null;
        if (BodyFields.PartType(block["source"], at + ".source", out var type) is { } invalid)
            return invalid;
        var source = (JsonObject)block["source"]!;
        switch (type)
        {
            case "base64":
                if (JsonFields.RequiredString(source["media_type"], at + ".source.media_type", out var media) is { } invalidMedia)
                    return invalidMedia;
                if (JsonFields.RequiredString(source["data"], at + ".source.data", out var data) is { } invalidData)
                    return invalidData;
                if (data.Length == 0 || !Base64.IsValid(data))
                    return Refusals.Invalid(at + ".source.data", "expected base64");
                mediaType = media.ToLowerInvariant();
                url = $"data:{mediaType};base64,{data}";
                return null;
            case "url":
                return JsonFields.RequiredString(source["url"], at + ".source.url", out url);
            default:
                return Refusals.Invalid(at + ".source.type", $"expected 'base64' or 'url', not '{type}'");
        }
    }

    private static InvalidParam? ToolResult(JsonObject block, string at, JsonArray messages)
    {
        if (MessagesRequestReader.Known(block, at, "type", "tool_use_id", "content", "is_error", "cache_control") is { } unknown)
            return unknown;
        if (JsonFields.RequiredString(block["tool_use_id"], at + ".tool_use_id", out var id) is { } invalidId)
            return invalidId;
        if (BodyFields.Flag(block, "is_error", out var isError, at + ".is_error") is { } invalidError)
            return invalidError;
        string text;
        switch (block["content"])
        {
            case null:
                text = "";
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                text = value.GetValue<string>();
                break;
            case JsonArray inner:
                var texts = new List<string>();
                for (var i = 0; i < inner.Count; i++)
                {
                    var innerAt = $"{at}.content[{i}]";
                    if (BodyFields.PartType(inner[i], innerAt, out var type) is { } invalid)
                        return invalid;
                    if (type != "text")
                        return Refusals.Invalid(innerAt + ".type", "OpenAI's tool results carry text only");
                    if (JsonFields.RequiredString(inner[i]!["text"], innerAt + ".text", out var part) is { } invalidText)
                        return invalidText;
                    texts.Add(part);
                }
                text = string.Concat(texts);
                break;
            case var other:
                return BodyFields.Expected(at + ".content", "a string or an array of text blocks", other);
        }
        messages.Add(new JsonObject { ["role"] = "tool", ["tool_call_id"] = id, ["content"] = isError ? ToolErrorPrefix + text : text });
        return null;
    }

    private static InvalidParam? ToolUse(JsonObject block, string at, JsonArray calls)
    {
        if (MessagesRequestReader.Known(block, at, "type", "id", "name", "input", "cache_control") is { } unknown)
            return unknown;
        if (JsonFields.RequiredString(block["id"], at + ".id", out var id) is { } invalidId)
            return invalidId;
        if (JsonFields.RequiredString(block["name"], at + ".name", out var name) is { } invalidName)
            return invalidName;
        if (block["input"] is not JsonObject input)
            return BodyFields.Expected(at + ".input", "an object", block["input"]);
        calls.Add(new JsonObject
        {
            ["id"] = id,
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = name, ["arguments"] = input.ToJsonString() },
        });
        return null;
    }
}
