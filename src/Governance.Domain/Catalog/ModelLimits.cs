using Governance.Domain.Usage;

namespace Governance.Domain.Catalog;

/// <summary>
/// What one request to a model can use, from its catalog entry: the most prompt tokens its context window takes, the
/// most tokens it generates per choice, and the most one image, file or audio part of a prompt can cost (USD). Null: the
/// entry does not say, and the gateway's documented defaults apply (<see cref="HoldSizing"/>, docs/gateway.md).
/// Carried by <see cref="ModelRegistered"/> and <see cref="Pricing.PriceSet"/>; events recorded before these limits
/// existed have none, and still replay.
/// </summary>
public sealed record ModelLimits(long? MaxInputTokens = null, long? MaxOutputTokens = null, decimal? MaxCostPerPart = null)
{
    public static readonly ModelLimits None = new();

    /// <summary>
    /// The largest token limit an entry may name: ten times the largest context window on sale (about 10M tokens), and
    /// small enough that a limit times <see cref="HoldSizing.MaxChoices"/> stays far from overflowing a long.
    /// </summary>
    public const long MaxTokensLimit = 100_000_000;

    /// <summary>The dearest part an entry may name, USD: a part dearer than this is no image, file or audio clip.</summary>
    public const decimal MaxCostPerPartLimit = 1_000m;

    /// <summary>Prices and costs carry at most this many decimals, so sums stay exact (<see cref="Usage.Pricing.MaxPriceDecimals"/>).</summary>
    public const int MaxCostDecimals = Usage.Pricing.MaxPriceDecimals;

    public bool IsEmpty => this == None;

    /// <summary>These limits laid over <paramref name="earlier"/> ones: a limit named here replaces the earlier one, one not named keeps it.</summary>
    public ModelLimits Over(ModelLimits earlier) => new(
        MaxInputTokens ?? earlier.MaxInputTokens, MaxOutputTokens ?? earlier.MaxOutputTokens, MaxCostPerPart ?? earlier.MaxCostPerPart);

    public static bool IsTokenLimit(long? tokens) => tokens is null or (> 0 and <= MaxTokensLimit);

    public static bool IsCostPerPart(decimal? cost) => cost is null || (cost > 0m && cost <= MaxCostPerPartLimit && cost.Value.Scale <= MaxCostDecimals);

    /// <summary>Null when every limit is within its bounds; otherwise which one is not, as the camelCase field a request names.</summary>
    public string? Invalid() =>
        !IsTokenLimit(MaxInputTokens) ? "maxInputTokens"
        : !IsTokenLimit(MaxOutputTokens) ? "maxOutputTokens"
        : !IsCostPerPart(MaxCostPerPart) ? "maxCostPerPart"
        : null;
}
