using System.Globalization;
using System.Text.Json;
using Governance.Domain.Catalog;
using UsagePricing = Governance.Domain.Usage.Pricing;

namespace Governance.Domain.Pricing;

/// <summary>
/// A model's price read from a LiteLLM price file, in USD per 1M tokens, and the limits of one request its entry names
/// (<see cref="ModelLimits.None"/> when it names none).
/// </summary>
public sealed record ImportedPrice(string Model, decimal InputPer1M, decimal OutputPer1M, decimal? CachedInputPer1M, string? Provider)
{
    public ModelLimits Limits { get; init; } = ModelLimits.None;
}

/// <summary>An entry the import left out, and why, so the operator can see what was not priced.</summary>
public sealed record SkippedEntry(string Model, string Reason);

public sealed record LiteLlmImport(IReadOnlyList<ImportedPrice> Prices, IReadOnlyList<SkippedEntry> Skipped);

/// <summary>
/// Reads LiteLLM's <c>model_prices_and_context_window.json</c>: an object of model name → prices in USD per token.
/// Every figure is converted from the number's text, never through a double, so 1.5e-07 per token is exactly 0.15 per 1M.
/// </summary>
public static class LiteLlmPriceFile
{
    public const string InputField = "input_cost_per_token";
    public const string OutputField = "output_cost_per_token";
    public const string CachedField = "cache_read_input_token_cost";
    // Some DeepSeek entries carry their cache-hit price only under this name.
    public const string CacheHitField = "input_cost_per_token_cache_hit";
    public const string MaxInputField = "max_input_tokens";
    // LiteLLM's max_tokens is a legacy field that means the input window for some entries: only max_output_tokens is read.
    public const string MaxOutputField = "max_output_tokens";
    public const decimal MaxPer1M = 1_000_000m;
    private const int TokensPerPriceUnitDigits = 6;

    /// <param name="only">Model names to import (exact, case-sensitive, as LiteLLM spells them); null imports every entry.</param>
    /// <exception cref="FormatException">The text is not JSON, or its top level is not an object.</exception>
    public static LiteLlmImport Parse(string json, IEnumerable<string>? only = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        var wanted = only is null ? null : new HashSet<string>(only, StringComparer.Ordinal);

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"The price file is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new FormatException(
                    $"The price file must be a JSON object of model name to prices, like LiteLLM's model_prices_and_context_window.json; its top level is {root.ValueKind}.");

            var prices = new List<ImportedPrice>();
            var skipped = new List<SkippedEntry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in root.EnumerateObject())
            {
                if (wanted is not null && !wanted.Contains(entry.Name))
                    continue;
                if (!seen.Add(entry.Name))
                {
                    skipped.Add(new SkippedEntry(entry.Name, "appears more than once in the file; only its first entry was read"));
                    continue;
                }

                var (price, reason) = Read(entry.Name, entry.Value);
                if (price is not null)
                    prices.Add(price);
                else
                    skipped.Add(new SkippedEntry(entry.Name, reason!));
            }

            if (wanted is not null)
                skipped.AddRange(wanted.Where(m => !seen.Contains(m)).Order(StringComparer.Ordinal)
                    .Select(m => new SkippedEntry(m, "not in the price file")));

            return new LiteLlmImport(prices, skipped);
        }
    }

    private static (ImportedPrice? Price, string? Reason) Read(string model, JsonElement entry)
    {
        if (model == "sample_spec")
            return (null, "LiteLLM's example of the file's schema, not a model");
        if (Usage.RequestIds.IsReserved(model))
            return (null, $"'{Usage.RequestIds.Prefix}' starts request ids, not model names");
        if (entry.ValueKind != JsonValueKind.Object)
            return (null, $"the entry is {entry.ValueKind}, not an object");

        if (!entry.TryGetProperty(InputField, out var inputElement))
            return (null, $"no {InputField}");
        if (!entry.TryGetProperty(OutputField, out var outputElement))
            return (null, $"no {OutputField}");

        var (input, inputError) = Per1M(InputField, inputElement);
        if (inputError is not null)
            return (null, inputError);
        var (output, outputError) = Per1M(OutputField, outputElement);
        if (outputError is not null)
            return (null, outputError);

        decimal? cached = null;
        var cachedField = entry.TryGetProperty(CachedField, out var cachedElement) ? CachedField
            : entry.TryGetProperty(CacheHitField, out cachedElement) ? CacheHitField
            : null;
        if (cachedField is not null)
        {
            var (value, cachedError) = Per1M(cachedField, cachedElement);
            if (cachedError is not null)
                return (null, cachedError);
            cached = value;
        }

        var provider = entry.TryGetProperty("litellm_provider", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        return (new ImportedPrice(model, input, output, cached, provider) { Limits = new(Limit(entry, MaxInputField), Limit(entry, MaxOutputField)) }, null);
    }

    /// <summary>A token limit the entry names: a whole number within <see cref="ModelLimits"/>' bounds, or null (absent, 0, or not a count).</summary>
    private static long? Limit(JsonElement entry, string field) =>
        entry.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var tokens)
        && tokens > 0 && ModelLimits.IsTokenLimit(tokens)
            ? tokens
            : null;

    /// <summary>USD per token (the JSON number's own text) to USD per 1M tokens, exactly, or why it cannot be.</summary>
    private static (decimal Value, string? Error) Per1M(string field, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Number)
            return (0, $"{field} is {element.ValueKind}, not a number");

        var text = element.GetRawText();
        if (text.StartsWith('-') && text.Any(c => c is >= '1' and <= '9'))
            return (0, $"{field} is negative ({text})");

        if (DecimalPlaces(text) - TokensPerPriceUnitDigits > UsagePricing.MaxPriceDecimals)
            return (0, $"{field} ({text}) needs more than {UsagePricing.MaxPriceDecimals} decimal places per 1M tokens");

        decimal perToken;
        try
        {
            perToken = decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is OverflowException or FormatException)
        {
            return (0, $"{field} ({text}) is beyond any plausible price");
        }

        // Bounded before scaling: near decimal's maximum, the multiplication itself would overflow.
        if (Math.Abs(perToken) > MaxPer1M / 1_000_000m)
            return (0, $"{field} ({text}) is more than {MaxPer1M:N0} USD per 1M tokens, which is not a plausible price");
        return (Tidy(Math.Abs(perToken) * 1_000_000m), null);
    }

    /// <summary>
    /// How many decimal places the exact value of a JSON number has (0 for whole numbers), read from its text so that
    /// no rounding can hide a digit: decimal.Parse would quietly turn 1e-40 into 0, a free model.
    /// </summary>
    private static long DecimalPlaces(string number)
    {
        var e = number.IndexOfAny(['e', 'E']);
        var mantissa = (e < 0 ? number : number[..e]).TrimStart('-');
        // Clamped so the arithmetic below cannot overflow; any exponent this large is no price either way.
        const long limit = 1_000_000;
        var exponent = e < 0 ? 0
            : long.TryParse(number[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var x) ? Math.Clamp(x, -limit, limit)
            : number[e + 1] == '-' ? -limit : limit;

        var dot = mantissa.IndexOf('.');
        var fractionDigits = dot < 0 ? 0 : mantissa.Length - dot - 1;
        var digits = mantissa.Replace(".", "", StringComparison.Ordinal);
        var significant = digits.TrimEnd('0');
        if (significant.Length == 0)
            return 0;
        return Math.Max(0, fractionDigits - (digits.Length - significant.Length) - exponent);
    }

    /// <summary>Drops trailing zeros (0.150000 → 0.15); the value is unchanged, only its printed form is tidier.</summary>
    private static decimal Tidy(decimal value)
    {
        while (value.Scale > 0 && decimal.Round(value, value.Scale - 1) == value)
            value = decimal.Round(value, value.Scale - 1);
        return value;
    }
}
