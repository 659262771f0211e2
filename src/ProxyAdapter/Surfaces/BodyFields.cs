using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Usage;

namespace ProxyAdapter.Surfaces;

/// <summary>
/// Strict reading of the request fields that decide what a call may cost. A number is a JSON integer written as digits
/// (no string, no fraction, no exponent, no boolean) within its range; anything else is an <see cref="InvalidParam"/>
/// naming the field, never a guess. Absent and <c>null</c> are the same: the field was not given.
/// </summary>
internal static class BodyFields
{
    /// <summary>An integer field in [<paramref name="min"/>, <paramref name="max"/>], or null when absent.</summary>
    public static InvalidParam? Integer(JsonObject body, string name, long min, long max, out long? value, string? param = null) =>
        Integer(body[name], param ?? name, min, max, out value);

    public static InvalidParam? Integer(JsonNode? node, string param, long min, long max, out long? value)
    {
        value = null;
        if (node is null)
            return null;
        if (node.GetValueKind() != JsonValueKind.Number || node.ToJsonString() is not { } raw || !IsDigits(raw))
            return new InvalidParam(param, InvalidParam.InvalidType, $"Invalid type for '{param}': expected an integer, but got {Describe(node)} instead.");
        if (!long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
            return raw.StartsWith('-') ? BelowMin(param, min) : AboveMax(param, max);
        if (number < min)
            return BelowMin(param, min);
        if (number > max)
            return AboveMax(param, max);
        value = number;
        return null;
    }

    /// <summary>A boolean field, false when absent.</summary>
    public static InvalidParam? Flag(JsonObject body, string name, out bool value, string? param = null)
    {
        value = false;
        var node = body[name];
        if (node is null)
            return null;
        if (node.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
            return new InvalidParam(param ?? name, InvalidParam.InvalidType, $"Invalid type for '{param ?? name}': expected a boolean, but got {Describe(node)} instead.");
        value = node.GetValue<bool>();
        return null;
    }

    /// <summary>A required, non-empty array of objects (<c>messages</c>).</summary>
    public static InvalidParam? Objects(JsonObject body, string name, out JsonArray items)
    {
        items = [];
        switch (body[name])
        {
            case null:
                return new InvalidParam(name, InvalidParam.Missing, $"Missing required parameter: '{name}'.");
            case JsonArray { Count: 0 }:
                return new InvalidParam(name, InvalidParam.BelowMin, $"Invalid '{name}': empty array. Expected an array with at least one item.");
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                    if (array[i] is not JsonObject)
                        return Expected($"{name}[{i}]", "an object", array[i]);
                items = array;
                return null;
            case var other:
                return Expected(name, "an array", other);
        }
    }

    /// <summary>The <c>type</c> of a content part or block; an invalid-type refusal when it is not an object with a string type.</summary>
    public static InvalidParam? PartType(JsonNode? part, string param, out string type)
    {
        type = "";
        if (part is not JsonObject obj)
            return Expected(param, "an object", part);
        if (obj["type"] is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
            return Expected(param + ".type", "a string", obj["type"]);
        type = value.GetValue<string>();
        return null;
    }

    public static InvalidParam Expected(string param, string expected, JsonNode? got) =>
        new(param, InvalidParam.InvalidType, $"Invalid type for '{param}': expected {expected}, but got {Describe(got)} instead.");

    /// <summary>
    /// Reads an array of typed parts (<paramref name="param"/>[i]): a <paramref name="text"/> type passes (its bytes bound
    /// its tokens), a <paramref name="billed"/> one is counted in <paramref name="tally"/>, the <paramref name="nestedType"/>
    /// is read by <paramref name="nested"/>, and any other type is refused: its cost cannot be bounded.
    /// </summary>
    public static InvalidParam? Parts(
        JsonArray parts, string param, ISet<string> text, ISet<string> billed, PartTally tally,
        string? nestedType = null, Func<JsonObject, string, InvalidParam?>? nested = null)
    {
        for (var i = 0; i < parts.Count; i++)
        {
            var at = $"{param}[{i}]";
            if (PartType(parts[i], at, out var type) is { } invalid)
                return invalid;
            if (billed.Contains(type))
                tally.Add(at);
            else if (type == nestedType && nested is not null)
            {
                if (nested((JsonObject)parts[i]!, at) is { } inner)
                    return inner;
            }
            else if (!text.Contains(type))
                return Unbounded(at + ".type", type);
        }
        return null;
    }

    /// <summary>A part whose tokens the gateway cannot bound before the call: refused, not guessed (a long type is cut in the message).</summary>
    public static InvalidParam Unbounded(string param, string type) =>
        new(param, InvalidParam.Unbounded,
            $"This gateway cannot bound the cost of a '{(type.Length <= 64 ? type : type[..64] + "…")}' part before the call, so it does not forward it.");

    private static InvalidParam BelowMin(string param, long min) =>
        new(param, InvalidParam.BelowMin, $"Invalid '{param}': integer below minimum value. Expected a value >= {min}.");

    private static InvalidParam AboveMax(string param, long max) =>
        new(param, InvalidParam.AboveMax, $"Invalid '{param}': integer above maximum value. Expected a value <= {max}.");

    /// <summary>An optional minus sign and digits only: how JSON writes an integer (its grammar has no leading zeros or plus).</summary>
    private static bool IsDigits(string raw)
    {
        var digits = raw.AsSpan(raw.StartsWith('-') ? 1 : 0);
        return digits.Length > 0 && !digits.ContainsAnyExceptInRange('0', '9');
    }

    private static string Describe(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => "null",
        JsonValueKind.String => "a string",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "a number that is not an integer",
    };
}

/// <summary>The image, file and audio parts of a request: how many, and where the first is (what a refusal names).</summary>
internal sealed class PartTally
{
    public int Count { get; private set; }
    public string? First { get; private set; }

    public void Add(string param)
    {
        Count++;
        First ??= param;
    }
}
