using Governance.Domain.Catalog;
using Governance.Domain.Pricing;
using Governance.Domain.Usage;

namespace Governance.Tests.Domain;

/// <summary>How big a hold stands for a request: its output cap, each part's bound, and nothing that wraps around.</summary>
public sealed class HoldSizingTests
{
    private const long DefaultMaxOutput = 4_096;
    private static readonly PriceVersion Price = new(1, 2m, 10m, 1m, DateTimeOffset.UnixEpoch, "test");
    private static readonly ModelLimits Catalog = new(MaxInputTokens: 128_000, MaxOutputTokens: 16_384);

    [Fact]
    public void a_request_naming_no_limit_may_use_the_models_maximum_output()
    {
        Assert.Equal((16_384L, (InvalidParam?)null), HoldSizing.OutputCap(new RequestedUse(null), Catalog, DefaultMaxOutput));
    }

    [Fact]
    public void a_model_whose_catalog_names_no_maximum_gets_the_documented_default()
    {
        Assert.Equal((DefaultMaxOutput, (InvalidParam?)null), HoldSizing.OutputCap(new RequestedUse(null), ModelLimits.None, DefaultMaxOutput));
    }

    [Fact]
    public void a_request_within_the_maximum_is_held_at_its_own_limit()
    {
        Assert.Equal((16_384L, (InvalidParam?)null), HoldSizing.OutputCap(new RequestedUse(16_384), Catalog, DefaultMaxOutput));
    }

    [Fact]
    public void more_output_than_the_model_produces_is_refused_naming_the_field_that_asked()
    {
        var (_, refusal) = HoldSizing.OutputCap(new RequestedUse(16_385) { OutputParam = "max_completion_tokens" }, Catalog, DefaultMaxOutput);

        Assert.Equal("max_completion_tokens", refusal!.Param);
        Assert.Equal(InvalidParam.AboveMax, refusal.Code);
        Assert.Contains("16384", refusal.Message);
    }

    [Fact]
    public void the_issues_overflowing_request_is_refused_rather_than_held_at_a_wrapped_figure()
    {
        var (_, refusal) = HoldSizing.OutputCap(new RequestedUse(9_223_372_034_854_775_807, Choices: 2), Catalog, DefaultMaxOutput);

        Assert.Equal("max_tokens", refusal!.Param);
    }

    [Fact]
    public void an_embeddings_request_produces_no_output()
    {
        Assert.Equal((0L, (InvalidParam?)null), HoldSizing.OutputCap(RequestedUse.InputOnly, Catalog, DefaultMaxOutput));
    }

    [Fact]
    public void the_worst_case_is_every_byte_at_the_dearer_input_price_and_every_output_token_on_every_choice()
    {
        var (amount, refusal) = HoldSizing.WorstCase(1_000, new RequestedUse(100, Choices: 3), 100, Catalog, Price, "m");

        Assert.Null(refusal);
        // 1,000 bytes × $2/1M + 100 tokens × 3 choices × $10/1M.
        Assert.Equal(0.005m, amount);
    }

    [Fact]
    public void each_part_is_held_at_the_catalogs_cost_per_part()
    {
        var limits = Catalog with { MaxCostPerPart = 0.01m };

        var (amount, _) = HoldSizing.WorstCase(0, new RequestedUse(1, Parts: 3), 0, limits, Price, "m");

        Assert.Equal(0.03m, amount);
    }

    [Fact]
    public void without_a_cost_per_part_a_part_is_held_at_a_whole_input_window()
    {
        var (amount, _) = HoldSizing.WorstCase(0, new RequestedUse(1, Parts: 1), 0, Catalog, Price, "m");

        // 128,000 tokens at $2/1M: a part can fill the context.
        Assert.Equal(0.256m, amount);
    }

    [Fact]
    public void a_part_the_catalog_cannot_bound_is_refused_naming_it()
    {
        var use = new RequestedUse(1, Parts: 1) { PartParam = "messages[0].content[1]" };

        var (_, refusal) = HoldSizing.WorstCase(10, use, 1, ModelLimits.None, Price, "vision-model");

        Assert.Equal("messages[0].content[1]", refusal!.Param);
        Assert.Equal(InvalidParam.Unbounded, refusal.Code);
        Assert.Contains("vision-model", refusal.Message);
    }

    [Fact]
    public void negative_sizes_are_refused_not_turned_into_headroom()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => HoldSizing.WorstCase(-1, new RequestedUse(1), 1, Catalog, Price, "m"));
        Assert.Throws<ArgumentOutOfRangeException>(() => HoldSizing.WorstCase(1, new RequestedUse(1), -1, Catalog, Price, "m"));
        Assert.Throws<ArgumentOutOfRangeException>(() => HoldSizing.WorstCase(1, new RequestedUse(1, Choices: 0), 1, Catalog, Price, "m"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pricing.WorstCase(1, -4_000_000_002, Price));
    }

    [Fact]
    public void usage_that_makes_no_sense_is_never_priced_as_a_credit()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Pricing.Cost(new TokenUsage(-5, 0, 0, 0), Price));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pricing.Cost(new TokenUsage(5, 6, 0, 0), Price));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pricing.Cost(new TokenUsage(0, 0, -1, 0), Price));
    }
}
