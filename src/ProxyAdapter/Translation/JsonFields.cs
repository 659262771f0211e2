using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Usage;
using ProxyAdapter.Surfaces;

namespace ProxyAdapter.Translation;

/// <summary>
/// Strict reads of request fields for translation, beside <see cref="BodyFields"/> (integers and flags): a field of the
/// wrong JSON type is refused naming it, never coerced. Absent and <c>null</c> are the same.
/// </summary>
internal static class JsonFields
{
    public static InvalidParam? String(JsonNode? node, string param, out string? value)
    {
        value = null;
        if (node is null)
            return null;
        if (node.GetValueKind() != JsonValueKind.String)
            return BodyFields.Expected(param, "a string", node);
        value = node.GetValue<string>();
        return null;
    }

    public static InvalidParam? RequiredString(JsonNode? node, string param, out string value)
    {
        value = "";
        if (node is null)
            return new InvalidParam(param, InvalidParam.Missing, $"Missing required parameter: '{param}'.");
        if (String(node, param, out var text) is { } invalid)
            return invalid;
        value = text!;
        return null;
    }

    /// <summary>A JSON number in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static InvalidParam? Number(JsonNode? node, string param, double min, double max, out double? value)
    {
        value = null;
        if (node is null)
            return null;
        if (node.GetValueKind() != JsonValueKind.Number || !node.AsValue().TryGetValue(out double number) || !double.IsFinite(number))
            return BodyFields.Expected(param, "a number", node);
        if (number < min)
            return new InvalidParam(param, "decimal_below_min_value", $"Invalid '{param}': decimal below minimum value. Expected a value >= {min}, but got {number} instead.");
        if (number > max)
            return new InvalidParam(param, "decimal_above_max_value", $"Invalid '{param}': decimal above maximum value. Expected a value <= {max}, but got {number} instead.");
        value = number;
        return null;
    }

    public static InvalidParam? Object(JsonNode? node, string param, out JsonObject? value)
    {
        value = node as JsonObject;
        return node is null or JsonObject ? null : BodyFields.Expected(param, "an object", node);
    }

    public static InvalidParam? Array(JsonNode? node, string param, out JsonArray? value)
    {
        value = node as JsonArray;
        return node is null or JsonArray ? null : BodyFields.Expected(param, "an array", node);
    }

    /// <summary>True when the node is absent, null, false, 0, an empty string, array or object: a value at its default.</summary>
    public static bool IsEmpty(JsonNode? node) => node switch
    {
        null => true,
        JsonObject o => o.Count == 0,
        JsonArray a => a.Count == 0,
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.False or JsonValueKind.Null => true,
            JsonValueKind.String => v.GetValue<string>().Length == 0,
            JsonValueKind.Number => v.TryGetValue(out double d) && d == 0,
            _ => false,
        },
        _ => false,
    };
}
