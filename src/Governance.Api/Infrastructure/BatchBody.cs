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
        for (var i = 0; i < items!.Count; i++)
            foreach (var failure in (await validator.ValidateAsync(items[i], ct)).Errors)
                errors[$"[{i}].{RequestValidation.JsonFieldName(failure.PropertyName)}"] = [failure.ErrorMessage];
        return errors.Count > 0 ? (null, Problems.Validation(errors)) : (items, null);
    }

    private static async Task<(List<T>?, IResult?)> ParseAsync<T>(HttpRequest request, JsonSerializerOptions options, string noun, int max, CancellationToken ct)
        where T : class
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
            var items = document.RootElement.ValueKind switch
            {
                JsonValueKind.Array => document.RootElement.Deserialize<List<T?>>(options),
                JsonValueKind.Object => [document.RootElement.Deserialize<T>(options)],
                _ => null,
            };
            if (items is null || items.Count == 0 || items.Any(r => r is null))
                return (null, Problems.Field("body", $"Send one {noun} (an object) or a non-empty array of them."));
            if (items.Count > max)
                return (null, Problems.Field("body", $"A batch holds at most {max} {noun}s."));
            return (items.Cast<T>().ToList(), null);
        }
        catch (JsonException e)
        {
            return (null, Problems.Field("body", $"The body is not valid JSON for {noun}s: " + e.Message));
        }
    }
}
