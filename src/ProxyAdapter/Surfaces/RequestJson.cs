using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Usage;

namespace ProxyAdapter.Surfaces;

/// <summary>
/// A request body (sent with a JSON media type, <see cref="Governance.Projections.Hosting.JsonMediaType"/>) as JSON: one
/// object, nested at most <see cref="MaxDepth"/> deep, every property name once per object. What is wrong with a body that
/// is not is said naming the field where one is at fault: the top-level field a too deep value is in, the property named
/// twice.
/// </summary>
internal static class RequestJson
{
    /// <summary>System.Text.Json's default depth: far beyond any request body (tool schemas included).</summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// A property named twice (two <c>max_tokens</c>) is refused when parsed: the hold and the provider must not read
    /// different ones, and JsonObject would otherwise throw on first access.
    /// </summary>
    private static readonly JsonDocumentOptions Options = new() { AllowDuplicateProperties = false, MaxDepth = MaxDepth };

    /// <summary>The body as an object, or the refusal: a field at fault (<see cref="InvalidParam"/>) or the body as a whole.</summary>
    public static IResult? Read(byte[] raw, ErrorShape errors, out JsonObject body)
    {
        body = null!;
        try
        {
            if (JsonNode.Parse(raw, documentOptions: Options) is JsonObject parsed)
            {
                body = parsed;
                return null;
            }
            return errors.BadRequest("The request body must be a JSON object.");
        }
        catch (JsonException)
        {
            // Only a body that failed is scanned again, to say why: the hot path parses once.
            return Fault(raw) is { } field
                ? errors.Invalid(field)
                : errors.BadRequest("We could not parse the JSON body of your request: it is empty or not valid JSON.");
        }
    }

    /// <summary>
    /// Where a body that failed to parse is at fault: a value nested too deep (named by its top-level field) or a property
    /// named twice (named by its path). Null when it is not valid JSON at all, or too deep at its root. Reads token by token
    /// and stops at <see cref="MaxDepth"/>, so ten thousand nested arrays cost a scan and no recursion.
    /// </summary>
    internal static InvalidParam? Fault(ReadOnlySpan<byte> raw)
    {
        var reader = new Utf8JsonReader(raw, new JsonReaderOptions { MaxDepth = MaxDepth + 1 });
        var containers = new Stack<Container>();
        string? property = null, top = null;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        var parent = containers.Peek();
                        property = Join(parent.Path, reader.GetString()!);
                        if (containers.Count == 1)
                            top = property;
                        if (!parent.Names!.Add(reader.GetString()!))
                            return new InvalidParam(property, InvalidParam.Duplicate,
                                $"Invalid '{property}': the property is named twice. Name each property once.");
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        var path = ValuePath(containers, property);
                        if (containers.Count == MaxDepth)
                            return top is null ? null : new InvalidParam(top, InvalidParam.TooDeep, $"Invalid '{top}': nested deeper than {MaxDepth} levels.");
                        containers.Push(new Container(path, reader.TokenType == JsonTokenType.StartObject ? new HashSet<string>(StringComparer.Ordinal) : null));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        containers.Pop();
                        break;
                    default:
                        ValuePath(containers, property);
                        break;
                }
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }

    /// <summary>An object (with the names seen in it) or an array (with the index of its next item) and its path.</summary>
    private sealed record Container(string Path, HashSet<string>? Names)
    {
        public int Next { get; set; }
    }

    /// <summary>The path of the value that starts now: the property just named, or the next item of the enclosing array.</summary>
    private static string ValuePath(Stack<Container> containers, string? property)
    {
        if (containers.Count == 0)
            return "";
        var parent = containers.Peek();
        return parent.Names is null ? $"{parent.Path}[{parent.Next++}]" : property!;
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
}
