using Governance.Domain.Pricing;

namespace Governance.Domain.Usage;

/// <summary>
/// Token counts as OpenAI reports them: <see cref="Input"/> counts every prompt token, cached ones included;
/// <see cref="Cached"/> is the part of Input served from the provider's cache; <see cref="Output"/> counts every
/// generated token, reasoning included; <see cref="Reasoning"/> is the part of Output spent reasoning.
/// </summary>
public readonly record struct TokenUsage(long Input, long Cached, long Output, long Reasoning)
{
    public static readonly TokenUsage None = new(0, 0, 0, 0);
}

public static class Pricing
{
    private const decimal TokensPerPriceUnit = 1_000_000m;

    /// <summary>
    /// cost = (input − cached) × input price + cached × cached price + output × output price, per 1M tokens.
    /// Rounding rule: none. The result is the exact decimal: prices are validated to at most 10 decimal places
    /// and token counts to at most 10^12, so every product and the division by 10^6 stay within decimal's
    /// 28 significant digits. Amounts are rounded only for display, never in the ledger or a budget check.
    /// Counts that make no sense (negative, or more cached than input) are refused rather than priced as a credit.
    /// </summary>
    public static decimal Cost(TokenUsage usage, PriceVersion price)
    {
        if (usage.Input < 0 || usage.Cached < 0 || usage.Cached > usage.Input || usage.Output < 0)
            throw new ArgumentOutOfRangeException(nameof(usage), usage, "Token counts must be non-negative, and cached tokens part of the input.");
        return (checked(usage.Input - usage.Cached) * price.InputPer1M + usage.Cached * price.CachedPer1M + usage.Output * price.OutputPer1M)
            / TokensPerPriceUnit;
    }

    /// <summary>
    /// The most a request can cost: every input token at the dearer input price, every allowed output token used. Never
    /// negative: negative maxima are refused (the gateway's own holds are sized by <see cref="HoldSizing"/>).
    /// </summary>
    public static decimal WorstCase(long maxInputTokens, long maxOutputTokens, PriceVersion price)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxInputTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(maxOutputTokens);
        return (maxInputTokens * Math.Max(price.InputPer1M, price.CachedPer1M) + maxOutputTokens * price.OutputPer1M) / TokensPerPriceUnit;
    }

    public const int MaxPriceDecimals = 10;
    public const long MaxTokens = 1_000_000_000_000;
}
