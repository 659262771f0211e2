using FluentValidation;

namespace Governance.Api.Infrastructure;

/// <summary>
/// The body of a batch endpoint (usage, denials): one object or a non-empty array of at most <c>max</c>, read as strictly
/// as every JSON body (<see cref="JsonBody"/>), each item validated; a bad item anywhere refuses the whole batch with
/// errors keyed <c>"[index].field"</c>.
/// </summary>
public static class BatchBody
{
    /// <summary>Kestrel's default request body limit: a full batch of large records stays well under it.</summary>
    public const int MaxBytes = 30_000_000;

    public static async Task<(List<T>? Items, IResult? Problem)> ReadAsync<T>(
        HttpRequest request, IValidator<T> validator, string noun, int max, CancellationToken ct) where T : class
    {
        var (json, problem) = await JsonBody.ReadAsync(request, MaxBytes, ct);
        return problem is not null ? (null, problem) : Parse(json!, validator, noun, max);
    }

    /// <summary>A batch body already read (a signed one, whose bytes were checked first): items, or the problem.</summary>
    public static (List<T>? Items, IResult? Problem) Parse<T>(byte[] json, IValidator<T> validator, string noun, int max) where T : class
    {
        var (items, problem) = ParseItems<T>(json, noun, max);
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

    private static (List<T>?, IResult?) ParseItems<T>(byte[] json, string noun, int max) where T : class
    {
        // Parsed once, straight into the records: the first token says whether it is one record or an array.
        var single = json.AsSpan().TrimStart(" \t\r\n"u8) is [(byte)'{', ..];
        List<T?>? items;
        if (single)
        {
            // One record is item [0], as the validator reports it.
            var errors = JsonBody.Parse<T>(json, expectArray: false, out var item);
            if (errors is not null)
                return (null, Problems.Validation(errors.ToDictionary(e => e.Key == JsonBody.BodyField ? e.Key : "[0]." + e.Key, e => e.Value)));
            items = [item];
        }
        else if (JsonBody.Parse(json, expectArray: true, out items) is { } errors)
            return (null, Problems.Validation(errors));
        if (items is null || items.Count == 0 || items.Any(r => r is null))
            return (null, Problems.Field("body", $"Send one {noun} (an object) or a non-empty array of them."));
        if (items.Count > max)
            return (null, Problems.Field("body", $"A batch holds at most {max} {noun}s."));
        return (items.Cast<T>().ToList(), null);
    }
}
