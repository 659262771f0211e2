using System.Text.Json;
using FluentValidation;

namespace Governance.Api.Infrastructure;

/// <summary>
/// The body of a batch endpoint (usage, denials): one object or a non-empty array of at most <c>max</c>, each item
/// validated; a bad item anywhere refuses the whole batch with errors keyed <c>"[index].field"</c>.
/// </summary>
public static class BatchBody
{
    public static async Task<(List<T>? Items, IResult? Problem)> ReadAsync<T>(
        HttpRequest request, JsonSerializerOptions options, IValidator<T> validator, string noun, int max, CancellationToken ct) where T : class
    {
        var (items, problem) = await ParseAsync<T>(request, options, noun, max, ct);
        if (problem is not null)
            return (null, problem);
        var errors = new Dictionary<string, string[]>();
        // The validators have no asynchronous rules; the synchronous path skips a state machine per rule and record,
        // which was a tenth of the API's CPU at batch 200 (docs/benchmarks.md).
        for (var i = 0; i < items!.Count; i++)
            foreach (var failure in validator.Validate(items[i]).Errors)
                errors[$"[{i}].{RequestValidation.JsonFieldName(failure.PropertyName)}"] = [failure.ErrorMessage];
        return errors.Count > 0 ? (null, Problems.Validation(errors)) : (items, null);
    }

    private static async Task<(List<T>?, IResult?)> ParseAsync<T>(HttpRequest request, JsonSerializerOptions options, string noun, int max, CancellationToken ct)
        where T : class
    {
        try
        {
            // Parsed once, straight into the records: the first token says whether it is one record or an array.
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, ct);
            var json = body.GetBuffer().AsMemory(0, (int)body.Length);
            var reader = new Utf8JsonReader(json.Span);
            var items = reader.Read() ? reader.TokenType switch
            {
                JsonTokenType.StartArray => JsonSerializer.Deserialize<List<T?>>(json.Span, options),
                JsonTokenType.StartObject => [JsonSerializer.Deserialize<T>(json.Span, options)],
                _ => null,
            } : null;
            if (items is null || items.Count == 0 || items.Any(r => r is null))
                return (null, Problems.Field("body", $"Send one {noun} (an object) or a non-empty array of them."));
            if (items.Count > max)
                return (null, Problems.Field("body", $"A batch holds at most {max} {noun}s."));
            return (items.Cast<T>().ToList(), null);
        }
        catch (JsonException e)
        {
            return (null, Problems.Field(FieldOf(e.Path), $"The body is not valid JSON for {noun}s: " + e.Message));
        }
    }

    /// <summary>
    /// The field a JSON error is at, keyed as the validation errors are (<c>"$[2].inputTokens"</c> → <c>"[2].inputTokens"</c>;
    /// a single record is <c>[0]</c>), so a shipper can set that one record aside.
    /// </summary>
    private static string FieldOf(string? path) => path switch
    {
        ['$', '[', ..] => path[1..],
        ['$', '.', ..] => "[0]" + path[1..],
        _ => "body",
    };
}
