using Governance.Domain.Catalog;
using Governance.Domain.Pricing;

namespace Governance.Domain.Usage;

/// <summary>
/// What a request body lets a provider bill, as the gateway read it: the output tokens it asked for per choice
/// (<see cref="MaxOutputTokens"/>, null when it named no limit; <see cref="OutputParam"/> is the field that did), how many
/// choices, and how many image, file or audio <see cref="Parts"/> its prompt carries (their tokens are not bounded by the
/// body's bytes; <see cref="PartParam"/> names the first). An embeddings request does not <see cref="Generates">generate</see>.
/// </summary>
public sealed record RequestedUse(long? MaxOutputTokens, int Choices = 1, int Parts = 0)
{
    public string OutputParam { get; init; } = "max_tokens";
    public string PartParam { get; init; } = "messages";
    public bool Generates { get; init; } = true;

    public static RequestedUse InputOnly => new(MaxOutputTokens: null) { Generates = false };
}

/// <summary>A request field the gateway refuses, in the terms of the API called: the parameter, a machine code, and why.</summary>
public sealed record InvalidParam(string Param, string Code, string Message)
{
    public const string InvalidType = "invalid_type";
    public const string BelowMin = "integer_below_min_value";
    public const string AboveMax = "integer_above_max_value";
    public const string Missing = "missing_required_parameter";
    public const string Unbounded = "unbounded_part";
    public const string TooLong = "string_above_max_length";
    public const string TooDeep = "nested_too_deep";
    public const string Duplicate = "duplicate_parameter";
}

/// <summary>
/// Sizes the hold that stands for a request before it is forwarded (docs/gateway.md, "What is charged when"). The hold
/// is never negative and never below what the provider can bill within the request's own limits: every byte of the body
/// an input token at the dearer input price, every output token it may produce (its own limit, or the model's maximum when
/// it named none) on every choice, and each image, file or audio part at the model's most expensive part. Every product
/// is checked: nothing wraps around.
/// </summary>
public static class HoldSizing
{
    /// <summary>The most choices (<c>n</c>) one request may ask for: OpenAI's own limit.</summary>
    public const int MaxChoices = 128;

    private const decimal TokensPerPriceUnit = 1_000_000m;

    /// <summary>
    /// The output tokens per choice a request may produce on a model: what it asked for, or, when it named no limit, the
    /// model's maximum (its catalog's <c>maxOutputTokens</c>, else <paramref name="defaultMaxOutput"/>). Asking for more
    /// than that maximum is refused rather than held at a figure the provider would not keep to.
    /// </summary>
    public static (long Cap, InvalidParam? Refusal) OutputCap(RequestedUse use, ModelLimits limits, long defaultMaxOutput)
    {
        if (!use.Generates)
            return (0, null);
        var max = limits.MaxOutputTokens ?? defaultMaxOutput;
        if (use.MaxOutputTokens is not { } asked)
            return (max, null);
        if (asked <= max)
            return (asked, null);
        var why = limits.MaxOutputTokens is null ? " (its catalog entry names no maxOutputTokens, so the gateway's default applies)" : "";
        return (0, new InvalidParam(use.OutputParam, InvalidParam.AboveMax,
            $"{use.OutputParam} is too large: {asked}. This model can produce at most {max} output tokens{why}."));
    }

    /// <summary>
    /// The most one image, file or audio part can cost on a model: its catalog's <c>maxCostPerPart</c>, else a whole input
    /// window at the dearer input price (a part can fill the context); null when the catalog names neither, so the cost of
    /// a part cannot be bounded.
    /// </summary>
    public static decimal? CostPerPart(ModelLimits limits, PriceVersion price) =>
        limits.MaxCostPerPart ?? (limits.MaxInputTokens is { } window ? window * InputPrice(price) / TokensPerPriceUnit : null);

    /// <summary>
    /// The worst case of a request of <paramref name="inputBytes"/> bytes producing up to <paramref name="outputCap"/> tokens
    /// per choice, at <paramref name="price"/>; a refusal when it carries parts the model's catalog entry cannot bound.
    /// </summary>
    public static (decimal Amount, InvalidParam? Refusal) WorstCase(
        long inputBytes, RequestedUse use, long outputCap, ModelLimits limits, PriceVersion price, string model)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inputBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(outputCap);
        ArgumentOutOfRangeException.ThrowIfNegative(use.Parts);
        ArgumentOutOfRangeException.ThrowIfLessThan(use.Choices, 1);
        var parts = 0m;
        if (use.Parts > 0)
        {
            if (CostPerPart(limits, price) is not { } perPart)
                return (0m, new InvalidParam(use.PartParam, InvalidParam.Unbounded,
                    $"The model '{model}' has no maxInputTokens or maxCostPerPart in the gateway's catalog, so the cost of an image, file or audio part cannot be bounded; send text only, or ask an admin to set its limits."));
            parts = use.Parts * perPart;
        }
        var output = checked(outputCap * use.Choices);
        return ((inputBytes * InputPrice(price) + output * price.OutputPer1M) / TokensPerPriceUnit + parts, null);
    }

    /// <summary>Every prompt token may be a fresh one or a cached one: the dearer of the two prices.</summary>
    private static decimal InputPrice(PriceVersion price) => Math.Max(price.InputPer1M, price.CachedPer1M);
}
