using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;

namespace Governance.Api.Infrastructure;

/// <summary>
/// Turns System.Text.Json's refusal of a body into errors keyed by the JSON field (<c>rateLimits.maxParallel</c>,
/// <c>[2].inputTokens</c>) saying what the field must be, in the caller's terms rather than .NET type names.
/// </summary>
public static partial class JsonErrors
{
    public static Dictionary<string, string[]> Describe(JsonException error, JsonElement root, JsonTypeInfo type)
    {
        var segments = Segments(error.Path ?? "$");
        var field = Join(segments);
        var element = At(root, segments);
        var expected = TypeAt(type, segments);

        // A missing required member is reported on the object that lacks it.
        if (element is { ValueKind: JsonValueKind.Object } found && expected is { Kind: JsonTypeInfoKind.Object } objectType)
        {
            var missing = objectType.Properties
                .Where(p => p.IsRequired && !(found.EnumerateObject().FirstOrDefault(m => m.Name.Equals(p.Name, StringComparison.OrdinalIgnoreCase))
                    is { Value.ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined }))
                .Select(p => Join([.. segments, p.Name]))
                .ToDictionary(name => name, name => new[] { $"'{Leaf(name)}' is required." });
            if (missing.Count > 0)
                return missing;
        }

        var key = field.Length == 0 ? JsonBody.BodyField : field;
        var message = element is { ValueKind: JsonValueKind.Null }
            ? $"'{Leaf(key)}' must not be null."
            : expected is null ? $"'{Leaf(key)}' is not valid here." : $"'{Leaf(key)}' must be {Describe(expected.Type)}.";
        return new() { [key] = [message] };
    }

    /// <summary>What a value of <paramref name="type"/> looks like in JSON.</summary>
    public static string Describe(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return Type.GetTypeCode(type) switch
        {
            TypeCode.Boolean => "true or false",
            TypeCode.String or TypeCode.Char => "a string",
            TypeCode.Byte => $"a whole number from {byte.MinValue} to {byte.MaxValue}",
            TypeCode.Int16 => $"a whole number from {short.MinValue} to {short.MaxValue}",
            TypeCode.Int32 => $"a whole number from {int.MinValue} to {int.MaxValue}",
            TypeCode.Int64 => $"a whole number from {long.MinValue} to {long.MaxValue}",
            TypeCode.Decimal => "a number of at most 28 significant digits",
            TypeCode.Double or TypeCode.Single => "a number",
            TypeCode.DateTime => "an ISO-8601 date-time such as 2026-11-02T14:03:00Z",
            _ when type == typeof(DateTimeOffset) => "an ISO-8601 date-time such as 2026-11-02T14:03:00Z",
            _ when type == typeof(JsonElement) => "JSON",
            _ when type.IsAssignableTo(typeof(System.Collections.IDictionary)) => "an object",
            _ when type.IsAssignableTo(typeof(System.Collections.IEnumerable)) => "an array",
            _ => "an object",
        };
    }

    /// <summary>"$.a.b[2]['c d']" → ["a", "b", 2, "c d"].</summary>
    private static List<object> Segments(string path) =>
        Segment().Matches(path).Select(m => m.Groups["name"].Success ? m.Groups["name"].Value
            : m.Groups["quoted"].Success ? m.Groups["quoted"].Value
            : (object)int.Parse(m.Groups["index"].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();

    private static string Join(IEnumerable<object> segments) =>
        string.Concat(segments.Select((s, i) => s is int index ? $"[{index}]" : i == 0 ? (string)s : "." + s));

    /// <summary>"deployments[0].weight" → "weight", "thresholds[1]" → "thresholds".</summary>
    private static string Leaf(string field)
    {
        var last = field[(field.LastIndexOf('.') + 1)..];
        var bracket = last.IndexOf('[');
        return bracket > 0 ? last[..bracket] : last;
    }

    private static JsonElement? At(JsonElement root, IEnumerable<object> segments)
    {
        JsonElement? current = root;
        foreach (var segment in segments)
            current = (current, segment) switch
            {
                ({ ValueKind: JsonValueKind.Array } a, int i) when i < a.GetArrayLength() => a[i],
                ({ ValueKind: JsonValueKind.Object } o, string name) => o.EnumerateObject()
                    .FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) is { Value.ValueKind: not JsonValueKind.Undefined } p
                    ? p.Value
                    : null,
                _ => null,
            };
        return current;
    }

    private static JsonTypeInfo? TypeAt(JsonTypeInfo root, IEnumerable<object> segments)
    {
        JsonTypeInfo? current = root;
        foreach (var segment in segments)
        {
            var next = (current?.Kind, segment) switch
            {
                (JsonTypeInfoKind.Object, string name) => current!.Properties.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))?.PropertyType,
                (JsonTypeInfoKind.Dictionary, string) or (JsonTypeInfoKind.Enumerable, int) => current!.ElementType,
                _ => null,
            };
            current = next is null ? null : current!.Options.GetTypeInfo(next);
        }
        return current;
    }

    [GeneratedRegex(@"\.(?<name>[^.\[\]]+)|\['(?<quoted>(?:[^']|'')*)'\]|\[(?<index>\d+)\]", RegexOptions.CultureInvariant)]
    private static partial Regex Segment();
}
