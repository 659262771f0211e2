using FluentValidation;
using Governance.Api.Audit;
using Governance.Domain.Approvals;
using Marten;
using Governance.Domain.Catalog;
using Governance.Domain.Pricing;
using Governance.Domain.Usage;

namespace Governance.Api.Prices;

/// <summary>
/// A model as operators see it: route, the price in effect at <c>now</c> (the present, or the instant of a point-in-time
/// read), the price history known then, its approval policy (null when none was ever set), and what one request may use
/// (null: the catalog does not say, and the gateway's defaults apply; docs/gateway.md).
/// </summary>
public sealed record ModelView(
    string Name, string? Provider, string? UpstreamModel, PriceVersion? CurrentPrice, IReadOnlyList<PriceVersion> PriceHistory, ModelPolicy? Policy)
{
    public long? MaxInputTokens { get; init; }
    public long? MaxOutputTokens { get; init; }
    public decimal? MaxCostPerPart { get; init; }

    public static ModelView From(ModelDefinition model, DateTimeOffset now) =>
        new(model.Id, model.Provider, model.UpstreamModel, model.PriceAt(now), model.Prices, model.Policy)
        {
            MaxInputTokens = model.Limits.MaxInputTokens, MaxOutputTokens = model.Limits.MaxOutputTokens, MaxCostPerPart = model.Limits.MaxCostPerPart,
        };
}

/// <summary>A model's approval policy (null: never set, anyone in scope may call it).</summary>
public sealed record ModelPolicyView(string Model, ModelPolicy? Policy);

internal static class PastModels
{
    /// <summary>The model as its events had made it by <paramref name="instant"/>; null when it had no events yet.</summary>
    public static async Task<ModelDefinition?> AsOfAsync(IQuerySession session, string name, DateTimeOffset instant, CancellationToken ct) =>
        (await History.LoadAsync(session, [name], new Cutoff(instant), ct)).Fold<ModelDefinition>(name, ModelDefinition.Evolve);

    /// <summary>
    /// The model now (from its projection) or at <paramref name="at"/> (from its events), viewed at that moment;
    /// null when it did not exist.
    /// </summary>
    public static async Task<ModelView?> ViewAsync(IQuerySession session, string name, DateTimeOffset? at, DateTimeOffset now, CancellationToken ct) =>
        at is { } instant
            ? await AsOfAsync(session, name, instant, ct) is { } past ? ModelView.From(past, instant) : null
            : await session.LoadAsync<ModelDefinition>(name, ct) is { } current ? ModelView.From(current, now) : null;
}

internal static class PriceRules
{
    /// <summary>USD per 1M tokens: not negative, not absurd, at most 10 decimal places (so costs stay exact).</summary>
    public static IRuleBuilderOptions<T, decimal?> IsPrice<T>(this IRuleBuilder<T, decimal?> rule) =>
        rule.Must(p => p is null || (p >= 0 && p < 1_000_000 && p.Value.Scale <= Pricing.MaxPriceDecimals))
            .WithMessage($"'{{PropertyName}}' must be between 0 and 1,000,000 USD per 1M tokens, with at most {Pricing.MaxPriceDecimals} decimal places.");

    /// <summary>A model's token limit (<see cref="ModelLimits"/>): a whole number of tokens from 1 to 100,000,000.</summary>
    public static IRuleBuilderOptions<T, long?> IsTokenLimit<T>(this IRuleBuilder<T, long?> rule) =>
        rule.Must(ModelLimits.IsTokenLimit).WithMessage($"'{{PropertyName}}' must be between 1 and {ModelLimits.MaxTokensLimit:N0} tokens.");

    /// <summary>The most one image, file or audio part may cost: more than 0 and at most 1,000 USD, with at most 10 decimals.</summary>
    public static IRuleBuilderOptions<T, decimal?> IsCostPerPart<T>(this IRuleBuilder<T, decimal?> rule) =>
        rule.Must(ModelLimits.IsCostPerPart)
            .WithMessage($"'{{PropertyName}}' must be more than 0 and at most {ModelLimits.MaxCostPerPartLimit:N0} USD, with at most {ModelLimits.MaxCostDecimals} decimal places.");

    public static IRuleBuilderOptions<T, decimal> IsPrice<T>(this IRuleBuilder<T, decimal> rule) =>
        rule.Must(p => p >= 0 && p < 1_000_000 && p.Scale <= Pricing.MaxPriceDecimals)
            .WithMessage($"'{{PropertyName}}' must be between 0 and 1,000,000 USD per 1M tokens, with at most {Pricing.MaxPriceDecimals} decimal places.");
}
