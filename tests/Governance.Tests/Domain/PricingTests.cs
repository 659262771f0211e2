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

    // The proxy-era signature (uncached input and output only), expressed through the ledger's cost function.
    private static decimal Cost(long input, long output, decimal inputPer1M, decimal outputPer1M) =>
        Pricing.Cost(new TokenUsage(input, 0, output, 0), new PriceVersion(1, inputPer1M, outputPer1M, null, DateTimeOffset.UnixEpoch, "test"));
}
