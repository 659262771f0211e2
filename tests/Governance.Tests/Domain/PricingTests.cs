using Governance.Domain.Pricing;
using Governance.Domain.Usage;

namespace Governance.Tests.Domain;

public sealed class PricingTests
{
    [Fact]
    public void cost_is_exact_to_the_last_decimal()
    {
        Assert.Equal(0.0005253m, Cost(1234, 567, 0.15m, 0.6m));
    }

    [Fact]
    public void a_single_token_costs_a_millionth_of_the_price()
    {
        Assert.Equal(0.00000015m, Cost(1, 0, 0.15m, 0.6m));
        Assert.Equal(0.0000006m, Cost(0, 1, 0.15m, 0.6m));
    }

    [Fact]
    public void many_small_costs_add_up_to_the_cost_of_their_sum()
    {
        var oneByOne = Enumerable.Range(0, 1000).Sum(_ => Cost(1, 1, 0.15m, 0.6m));

        Assert.Equal(Cost(1000, 1000, 0.15m, 0.6m), oneByOne);
        Assert.Equal(0.00075m, oneByOne);
    }

    [Fact]
    public void a_call_without_tokens_costs_nothing()
    {
        Assert.Equal(0m, Cost(0, 0, 0.15m, 0.6m));
    }

    [Fact]
    public void a_free_model_costs_nothing()
    {
        Assert.Equal(0m, Cost(1_000_000, 1_000_000, 0m, 0m));
    }

    [Fact]
    public void a_trillion_tokens_are_priced_without_overflow()
    {
        const long trillion = 1_000_000_000_000;

        Assert.Equal(12_500_000m, Cost(trillion, trillion, 2.5m, 10m));
        Assert.Equal(750_000.123456m, Cost(trillion, trillion, 0.15m, 0.600000123456m));
    }

    [Fact]
    public void cached_prompt_tokens_are_billed_at_the_cached_price()
    {
        var price = new PriceVersion(1, 2.5m, 10m, 1.25m, DateTimeOffset.UnixEpoch, "test");

        // 800 uncached × 2.5 + 200 cached × 1.25 + 100 output × 10, per 1M tokens.
        Assert.Equal(0.00325m, Pricing.Cost(new TokenUsage(1000, 200, 100, 40), price));
    }

    [Fact]
    public void cached_prompt_tokens_cost_the_normal_input_price_when_the_model_has_no_cached_price()
    {
        var price = new PriceVersion(1, 2.5m, 10m, null, DateTimeOffset.UnixEpoch, "test");

        Assert.Equal(0.0035m, Pricing.Cost(new TokenUsage(1000, 200, 100, 0), price));
    }

    [Fact]
    public void the_worst_case_bills_every_input_token_at_the_dearer_input_price()
    {
        var cheaperCache = new PriceVersion(1, 2.5m, 10m, 1.25m, DateTimeOffset.UnixEpoch, "test");
        var dearerCache = cheaperCache with { CachedInputPer1M = 3.75m };

        Assert.Equal(0.0035m, Pricing.WorstCase(1000, 100, cheaperCache));
        Assert.Equal(0.00475m, Pricing.WorstCase(1000, 100, dearerCache));
    }

    [Fact]
    public void the_worst_case_of_a_request_that_allows_no_tokens_is_zero()
    {
        Assert.Equal(0m, Pricing.WorstCase(0, 0, new PriceVersion(1, 2.5m, 10m, 1.25m, DateTimeOffset.UnixEpoch, "test")));
    }

    // The proxy-era signature (uncached input and output only), expressed through the ledger's cost function.
    private static decimal Cost(long input, long output, decimal inputPer1M, decimal outputPer1M) =>
        Pricing.Cost(new TokenUsage(input, 0, output, 0), new PriceVersion(1, inputPer1M, outputPer1M, null, DateTimeOffset.UnixEpoch, "test"));
}
