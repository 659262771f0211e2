namespace Governance.Domain.Pricing;

/// <summary>
/// A model's price from <paramref name="EffectiveFrom"/> on, in USD per 1M tokens. Appended to the model's
/// stream; earlier prices stay in the history, so a past request is always priced as it was then. <see cref="Limits"/>:
/// what one request may use, when the price's source says (a price file's max_input_tokens / max_output_tokens); null in
/// events recorded before limits existed.
/// </summary>
public sealed record PriceSet(
    string Model,
    decimal InputPer1M,
    decimal OutputPer1M,
    decimal? CachedInputPer1M,
    DateTimeOffset EffectiveFrom,
    string Source,
    string SetBy,
    DateTimeOffset SetAt)
{
    public Catalog.ModelLimits? Limits { get; init; }
}

/// <summary>One version of a model's price. Version numbers count from 1 in the order prices were set.</summary>
public sealed record PriceVersion(
    int Version, decimal InputPer1M, decimal OutputPer1M, decimal? CachedInputPer1M, DateTimeOffset EffectiveFrom, string Source)
{
    /// <summary>Cached input tokens cost the cached price when the model has one, else the normal input price.</summary>
    public decimal CachedPer1M => CachedInputPer1M ?? InputPer1M;
}

public static class PriceHistory
{
    /// <summary>
    /// The price in effect at <paramref name="instant"/>: the latest EffectiveFrom at or before it; when two
    /// versions share an EffectiveFrom, the one set later wins. Null when nothing was effective yet.
    /// </summary>
    public static PriceVersion? At(IReadOnlyList<PriceVersion> versions, DateTimeOffset instant) =>
        versions.Where(v => v.EffectiveFrom <= instant)
            .OrderBy(v => v.EffectiveFrom).ThenBy(v => v.Version)
            .LastOrDefault();

    public static IReadOnlyList<PriceVersion> Add(IReadOnlyList<PriceVersion> versions, PriceSet e) =>
        [.. versions, new PriceVersion(versions.Count + 1, e.InputPer1M, e.OutputPer1M, e.CachedInputPer1M, e.EffectiveFrom, e.Source)];

    /// <summary>Setting the same price again is a no-op, so re-importing a price file writes nothing.</summary>
    public static bool IsSameAsLatest(IReadOnlyList<PriceVersion> versions, decimal input, decimal output, decimal? cached, DateTimeOffset effectiveFrom)
    {
        var current = At(versions, effectiveFrom);
        return current is not null && current.InputPer1M == input && current.OutputPer1M == output && current.CachedInputPer1M == cached
            && !versions.Any(v => v.EffectiveFrom > effectiveFrom);
    }
}
