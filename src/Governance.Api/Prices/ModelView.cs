using FluentValidation;
using Governance.Domain.Catalog;
using Governance.Domain.Pricing;
using Governance.Domain.Usage;

namespace Governance.Api.Prices;

/// <summary>A model as operators see it: route, the price in effect now, and the full price history.</summary>
public sealed record ModelView(string Name, string? Provider, string? UpstreamModel, PriceVersion? CurrentPrice, IReadOnlyList<PriceVersion> PriceHistory)
{
    public static ModelView From(ModelDefinition model, DateTimeOffset now) =>
        new(model.Id, model.Provider, model.UpstreamModel, model.PriceAt(now), model.Prices);
}

internal static class PriceRules
{
    /// <summary>USD per 1M tokens: not negative, not absurd, at most 10 decimal places (so costs stay exact).</summary>
    public static IRuleBuilderOptions<T, decimal?> IsPrice<T>(this IRuleBuilder<T, decimal?> rule) =>
        rule.Must(p => p is null || (p >= 0 && p < 1_000_000 && p.Value.Scale <= Pricing.MaxPriceDecimals))
            .WithMessage($"'{{PropertyName}}' must be between 0 and 1,000,000 USD per 1M tokens, with at most {Pricing.MaxPriceDecimals} decimal places.");

    public static IRuleBuilderOptions<T, decimal> IsPrice<T>(this IRuleBuilder<T, decimal> rule) =>
        rule.Must(p => p >= 0 && p < 1_000_000 && p.Scale <= Pricing.MaxPriceDecimals)
            .WithMessage($"'{{PropertyName}}' must be between 0 and 1,000,000 USD per 1M tokens, with at most {Pricing.MaxPriceDecimals} decimal places.");
}
