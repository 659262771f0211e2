using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Usage;

namespace ProxyAdapter.Surfaces;

/// <summary>
/// What an OpenAI chat completion may bill, read strictly: <c>n</c>, <c>max_completion_tokens</c> / <c>max_tokens</c>,
/// and the <c>messages</c>, whose image, audio and file parts are counted (their tokens are not bounded by the bytes
/// that name them) and whose unknown part types are refused.
/// </summary>
internal static class ChatBody
{
    private static readonly FrozenSet<string> TextParts = FrozenSet.Create("text", "refusal");
    private static readonly FrozenSet<string> BilledParts = FrozenSet.Create("image_url", "input_audio", "file");

    public static InvalidParam? Read(JsonObject body, out RequestedUse use, out bool streaming)
    {
        use = RequestedUse.InputOnly;
        if (BodyFields.Flag(body, "stream", out streaming) is { } stream)
            return stream;
        if (BodyFields.Integer(body, "n", 1, HoldSizing.MaxChoices, out var choices) is { } n)
            return n;
        if (BodyFields.Integer(body, "max_completion_tokens", 1, Pricing.MaxTokens, out var completion) is { } maxCompletion)
            return maxCompletion;
        if (BodyFields.Integer(body, "max_tokens", 1, Pricing.MaxTokens, out var legacy) is { } maxTokens)
            return maxTokens;
        var parts = new PartTally();
        if (Messages(body, parts) is { } messages)
            return messages;
        // Both limits given: a provider may honour either, so the larger one bounds the hold (and is the one refused).
        var (output, param) = legacy > (completion ?? 0) ? (legacy, "max_tokens") : (completion, "max_completion_tokens");
        use = new RequestedUse(output, (int)(choices ?? 1), parts.Count) { OutputParam = param, PartParam = parts.First ?? "messages" };
        return null;
    }

    private static InvalidParam? Messages(JsonObject body, PartTally parts)
    {
        if (BodyFields.Objects(body, "messages", out var messages) is { } invalid)
            return invalid;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = (JsonObject)messages[i]!;
            var at = $"messages[{i}]";
            // An assistant message may point at an earlier audio answer by id: audio the provider reads again.
            if (message["audio"] is not null)
                parts.Add(at + ".audio");
            var content = message["content"] switch
            {
                null => null,
                JsonValue text when text.GetValueKind() == JsonValueKind.String => null,
                JsonArray array => BodyFields.Parts(array, at + ".content", TextParts, BilledParts, parts),
                var other => BodyFields.Expected(at + ".content", "a string or an array of content parts", other),
            };
            if (content is not null)
                return content;
        }
        return null;
    }
}

/// <summary>
/// An OpenAI embeddings request, read strictly: <c>input</c> is a string, or up to 2,048 strings, token ids or arrays of
/// token ids (never mixed); token ids and <c>dimensions</c> are integers. Every token is at least one byte of the body, so
/// the body's size bounds the input the hold counts.
/// </summary>
internal static class EmbeddingsBody
{
    /// <summary>OpenAI's own limit on the inputs of one request.</summary>
    public const int MaxInputs = 2048;

    private const long MaxDimensions = 65_536;

    public static InvalidParam? Read(JsonObject body)
    {
        if (BodyFields.Integer(body, "dimensions", 1, MaxDimensions, out _) is { } dimensions)
            return dimensions;
        return body["input"] switch
        {
            null => new InvalidParam("input", InvalidParam.Missing, "Missing required parameter: 'input'."),
            JsonValue text when text.GetValueKind() == JsonValueKind.String => null,
            JsonArray { Count: 0 } => new InvalidParam("input", InvalidParam.BelowMin, "Invalid 'input': empty array. Expected an array with at least one item."),
            JsonArray { Count: > MaxInputs } => new InvalidParam("input", InvalidParam.AboveMax, $"Invalid 'input': array too long. Expected an array with at most {MaxInputs} items."),
            JsonArray inputs => Items(inputs),
            var other => BodyFields.Expected("input", "a string or an array", other),
        };
    }

    /// <summary>Every item of the kind of the first: strings, token ids, or non-empty arrays of token ids.</summary>
    private static InvalidParam? Items(JsonArray inputs)
    {
        var kind = inputs[0]?.GetValueKind();
        for (var i = 0; i < inputs.Count; i++)
        {
            var param = $"input[{i}]";
            var item = inputs[i];
            var invalid = kind switch
            {
                JsonValueKind.String => item?.GetValueKind() == JsonValueKind.String ? null : BodyFields.Expected(param, "a string", item),
                JsonValueKind.Number => TokenId(item, param),
                JsonValueKind.Array => item is JsonArray { Count: > 0 } tokens
                    ? tokens.Select((token, j) => TokenId(token, $"{param}[{j}]")).FirstOrDefault(e => e is not null)
                    : BodyFields.Expected(param, "a non-empty array of token ids", item),
                _ => BodyFields.Expected(param, "a string, a token id or an array of token ids", item),
            };
            if (invalid is not null)
                return invalid;
        }
        return null;
    }

    private static InvalidParam? TokenId(JsonNode? token, string param) =>
        token is null ? BodyFields.Expected(param, "a token id", null) : BodyFields.Integer(token, param, 0, int.MaxValue, out _);
}
