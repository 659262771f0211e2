using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Governance.Hosting;
using Wolverine.Http;

namespace Governance.Api.Infrastructure;

/// <summary>
/// Reads a JSON request body strictly, and says what is wrong with it in a problem that names the field: a JSON media
/// type (else 415), at most <see cref="MaxBytes"/> (else 413, refused before the rest is read), well-formed JSON nested
/// at most <see cref="MaxDepth"/> deep, numbers as JSON numbers that fit their field (never strings, never rounded into
/// range), and every non-nullable constructor parameter without a default present and not null.
/// </summary>
/// <remarks>
/// Wolverine's own body reading is lenient (System.Text.Json's web defaults read "12" as 12, and a missing
/// <c>decimal</c> becomes 0) and its errors do not name the field, so <see cref="CheckAsync{T}"/> runs first
/// (<see cref="ValidationPolicy"/>) and hands Wolverine the same bytes once they passed.
/// </remarks>
public static class JsonBody
{
    public const int MaxBytes = 1 << 20;
    public const int MaxDepth = 32;
    public const string BodyField = "body";

    /// <summary>The web defaults (camelCase, case-insensitive names) made strict.</summary>
    public static readonly JsonSerializerOptions Strict = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.Strict,
        MaxDepth = MaxDepth,
        RespectNullableAnnotations = true,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { RequireNonNullableParameters, WireContracts.RefuseUnknownMembers } },
    };

    /// <summary>The pre-check of a Wolverine endpoint's JSON body: continue, or the problem that ends the request.</summary>
    public static async Task<IResult> CheckAsync<T>(HttpContext context)
    {
        var (bytes, problem) = await ReadAsync(context.Request, MaxBytes, context.RequestAborted);
        if (problem is not null)
            return problem;
        if (Parse<T>(bytes!, expectArray: false, out _) is { } errors)
            return Problems.Validation(errors);
        // Wolverine reads the body again, from these bytes.
        context.Request.Body = new MemoryStream(bytes!, writable: false);
        return WolverineContinue.Result();
    }

    /// <summary>The body's bytes, or the problem: not JSON (415), too large (413), empty (400).</summary>
    public static async Task<(byte[]? Bytes, IResult? Problem)> ReadAsync(HttpRequest request, int maxBytes, CancellationToken ct)
    {
        if (!IsJson(request.ContentType))
            return (null, Results.Problem(Problems.Create(415, "Unsupported media type.",
                $"Send the body as application/json (got '{request.ContentType}').", "unsupported_media_type")));
        if (request.ContentLength > maxBytes)
            return (null, TooLarge(maxBytes));
        using var body = new MemoryStream();
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(buffer, ct)) > 0)
            {
                if (body.Length + read > maxBytes)
                    return (null, TooLarge(maxBytes));
                body.Write(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return body.Length == 0
            ? (null, Problems.Field(BodyField, "A JSON request body is required."))
            : (body.ToArray(), null);
    }

    /// <summary>
    /// Deserializes <paramref name="json"/> strictly into <typeparamref name="T"/>: null when it did, else the errors by
    /// field. <paramref name="expectArray"/>: the root may be an array (a batch); error paths then start with the item's index.
    /// </summary>
    public static Dictionary<string, string[]>? Parse<T>(ReadOnlyMemory<byte> json, bool expectArray, out T? value)
    {
        value = default;
        if (Scan(json.Span) is { } malformed)
            return new() { [malformed.Field] = [malformed.Message] };
        var root = json.Span.TrimStart(" \t\r\n"u8);
        if (root[0] != (byte)'{' && !(expectArray && root[0] == (byte)'['))
            return new() { [BodyField] = [expectArray ? "The body must be a JSON object or an array of them." : "The body must be a JSON object."] };
        try
        {
            value = JsonSerializer.Deserialize<T>(json.Span, Strict);
            return null;
        }
        catch (JsonException e)
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxDepth + 1 });
            return JsonErrors.Describe(e, document.RootElement, Strict.GetTypeInfo(typeof(T)));
        }
    }

    /// <summary>
    /// Well-formed JSON nested at most <see cref="MaxDepth"/> deep, checked with the reader alone (no recursion, no
    /// allocation per level), so ten thousand nested arrays cost a scan, and a too-deep field is named.
    /// </summary>
    private static (string Field, string Message)? Scan(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = int.MaxValue });
        string? topField = null;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
                    topField = reader.GetString();
                if (reader.CurrentDepth > MaxDepth)
                    return (topField ?? BodyField, $"'{topField ?? BodyField}' is nested deeper than {MaxDepth} levels.");
            }
            return null;
        }
        catch (JsonException e)
        {
            return (BodyField, "The body is not valid JSON: " + e.Message);
        }
    }

    private static bool IsJson(string? contentType) => JsonMediaType.IsJson(contentType);

    private static IResult TooLarge(int maxBytes) =>
        Results.Problem(Problems.Create(413, "Body too large.", $"The body must be at most {maxBytes} bytes.", "body_too_large"));

    /// <summary>
    /// A record's non-nullable constructor parameter without a default is required: missing, it would otherwise be
    /// null or 0 (a budget "limit" left out became a $0 budget). Nullable ones and those with defaults stay optional.
    /// </summary>
    private static void RequireNonNullableParameters(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object)
            return;
        foreach (var property in info.Properties)
            if (property.AssociatedParameter is { HasDefaultValue: false, IsNullable: false })
                property.IsRequired = true;
    }
}
