using System.Numerics;
using Governance.Domain.Pricing;
using Governance.Domain.Usage;

namespace Governance.Tests.Domain;

/// <summary>
/// Seeded random checks of the cost function over the whole validated domain: prices in [0, 1,000,000) USD per 1M
/// tokens with at most 10 decimals, token counts in [0, 10^12].
/// </summary>
public sealed class CostPropertyTests
{
    private const int Cases = 3000;
    private const int PriceDecimals = 10;
    // Cost in USD carries at most the price's decimals plus the 6 of the per-1M division.
    private const int CostDecimals = PriceDecimals + 6;

    public static TheoryData<int> Seeds => [1, 17, 2026];

    // ---- Generators ----

    /// <summary>A price with a random number of decimals (0..10) and a random magnitude below 1,000,000.</summary>
    private static decimal Price(Random random)
    {
        var scale = random.Next(PriceDecimals + 1);
        var digits = random.Next(1, 6 + scale + 1);
        var mantissa = random.Next(8) == 0
            ? (long)Math.Pow(10, 6 + scale) - 1 // the dearest price with this many decimals: 999999.99…
            : random.NextInt64((long)Math.Pow(10, digits));
        return new decimal((int)(mantissa & 0xFFFFFFFF), (int)(mantissa >> 32), 0, false, (byte)scale);
    }

    /// <summary>A token count of random magnitude up to <paramref name="max"/>, the maximum itself now and then.</summary>
    private static long Tokens(Random random, long max = Pricing.MaxTokens)
    {
        if (max == 0 || random.Next(10) == 0)
            return max;
        var magnitude = (long)Math.Pow(10, random.Next(13));
        return random.NextInt64(Math.Min(max, magnitude) + 1);
    }

    private static PriceVersion PriceVersion(Random random) =>
        new(1, Price(random), Price(random), random.Next(3) == 0 ? null : Price(random), DateTimeOffset.UnixEpoch, "test");

    private static TokenUsage Usage(Random random, long maxInput = Pricing.MaxTokens, long maxOutput = Pricing.MaxTokens)
    {
        var input = Tokens(random, maxInput);
        var output = Tokens(random, maxOutput);
        return new TokenUsage(input, Tokens(random, input), output, Tokens(random, output));
    }

    // ---- Exact reference ----

    /// <summary>A price as a whole number of 10^-10 USD per 1M tokens.</summary>
    private static BigInteger Units(decimal price, int decimals)
    {
        var (mantissa, scale) = Parts(price);
        Assert.True(scale <= decimals, $"{price} has more than {decimals} decimals");
        return mantissa * BigInteger.Pow(10, decimals - scale);
    }

    private static (BigInteger Mantissa, int Scale) Parts(decimal value)
    {
        var bits = decimal.GetBits(value);
        var mantissa = (new BigInteger((uint)bits[2]) << 64) | (new BigInteger((uint)bits[1]) << 32) | (uint)bits[0];
        var negative = (bits[3] & int.MinValue) != 0;
        return (negative ? -mantissa : mantissa, (bits[3] >> 16) & 0xFF);
    }

    /// <summary>The exact cost in 10^-16 USD, computed with unbounded integers.</summary>
    private static BigInteger ExactCost(TokenUsage usage, PriceVersion price) =>
        (usage.Input - usage.Cached) * Units(price.InputPer1M, PriceDecimals)
        + usage.Cached * Units(price.CachedPer1M, PriceDecimals)
        + usage.Output * Units(price.OutputPer1M, PriceDecimals);

    private static void AssertExactly(BigInteger expectedUnits, decimal actual, string because)
    {
        // actual = m / 10^s must equal expected / 10^16, compared without any rounding.
        var (mantissa, scale) = Parts(actual);
        Assert.True(mantissa * BigInteger.Pow(10, CostDecimals) == expectedUnits * BigInteger.Pow(10, scale),
            $"{because}: got {actual}, exact is {expectedUnits} × 10^-{CostDecimals}");
    }

    // ---- Properties ----

    [Theory]
    [MemberData(nameof(Seeds))]
    public void every_cost_in_the_validated_range_is_exact_to_the_last_digit(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < Cases; i++)
        {
            var (usage, price) = (Usage(random), PriceVersion(random));

            AssertExactly(ExactCost(usage, price), Pricing.Cost(usage, price), $"case {i}: {usage} at {price}");
        }
    }

    [Fact]
    public void the_largest_request_at_the_dearest_price_is_still_exact()
    {
        const decimal dearest = 999_999.9999999999m;
        var price = new PriceVersion(1, dearest, dearest, 0.0000000001m, DateTimeOffset.UnixEpoch, "test");

        foreach (var usage in new[]
        {
            new TokenUsage(Pricing.MaxTokens, 0, Pricing.MaxTokens, 0),
            new TokenUsage(Pricing.MaxTokens, 1, Pricing.MaxTokens, Pricing.MaxTokens),
            new TokenUsage(Pricing.MaxTokens, Pricing.MaxTokens - 1, Pricing.MaxTokens, 0),
        })
            AssertExactly(ExactCost(usage, price), Pricing.Cost(usage, price), usage.ToString());

        Assert.Equal(1_999_999_999_999.9998m, Pricing.Cost(new TokenUsage(Pricing.MaxTokens, 0, Pricing.MaxTokens, 0), price));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void a_cost_is_never_negative(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < Cases; i++)
        {
            var (usage, price) = (Usage(random), PriceVersion(random));

            Assert.True(Pricing.Cost(usage, price) >= 0m, $"case {i}: {usage} at {price}");
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void billing_two_requests_separately_costs_exactly_the_same_as_billing_them_together(int seed)
    {
        var random = new Random(seed);
        const long half = Pricing.MaxTokens / 2;
        for (var i = 0; i < Cases; i++)
        {
            var price = PriceVersion(random);
            var (a, b) = (Usage(random, half, half), Usage(random, half, half));
            var both = new TokenUsage(a.Input + b.Input, a.Cached + b.Cached, a.Output + b.Output, a.Reasoning + b.Reasoning);

            Assert.True(Pricing.Cost(both, price) == Pricing.Cost(a, price) + Pricing.Cost(b, price), $"case {i}: {a} + {b} at {price}");
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void more_tokens_never_cost_less(int seed)
    {
        var random = new Random(seed);
        const long half = Pricing.MaxTokens / 2;
        for (var i = 0; i < Cases; i++)
        {
            var price = PriceVersion(random);
            var usage = Usage(random, half, half);
            var cost = Pricing.Cost(usage, price);
            var more = Tokens(random, half);

            Assert.True(Pricing.Cost(usage with { Input = usage.Input + more }, price) >= cost, $"case {i}: +{more} input, {usage} at {price}");
            Assert.True(Pricing.Cost(usage with { Output = usage.Output + more }, price) >= cost, $"case {i}: +{more} output, {usage} at {price}");
            Assert.True(Pricing.Cost(usage with { Input = usage.Input + more, Cached = usage.Cached + more }, price) >= cost,
                $"case {i}: +{more} cached input, {usage} at {price}");
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void cached_input_tokens_cost_the_cached_price_and_the_rest_the_input_price(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < Cases; i++)
        {
            var price = PriceVersion(random);
            var usage = Usage(random);
            var uncachedOnly = usage with { Input = usage.Input - usage.Cached, Cached = 0 };

            var cachedPart = Pricing.Cost(usage, price) - Pricing.Cost(uncachedOnly, price);

            Assert.True(cachedPart * 1_000_000m == usage.Cached * price.CachedPer1M, $"case {i}: {usage} at {price}");
            if (price.CachedInputPer1M is null)
                Assert.True(Pricing.Cost(usage, price) == Pricing.Cost(usage with { Cached = 0 }, price), $"case {i}: no cached price, {usage} at {price}");
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void reasoning_tokens_are_not_billed_twice(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < Cases; i++)
        {
            var (usage, price) = (Usage(random), PriceVersion(random));

            Assert.True(Pricing.Cost(usage, price) == Pricing.Cost(usage with { Reasoning = 0 }, price), $"case {i}: {usage} at {price}");
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void no_request_within_its_token_limits_costs_more_than_its_worst_case(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < Cases; i++)
        {
            var price = PriceVersion(random);
            var (maxInput, maxOutput) = (Tokens(random), Tokens(random));
            var worstCase = Pricing.WorstCase(maxInput, maxOutput, price);
            var usage = Usage(random, maxInput, maxOutput);

            Assert.True(Pricing.Cost(usage, price) <= worstCase, $"case {i}: {usage} within ({maxInput}, {maxOutput}) at {price}");
            // The worst case is reached: every input token at the dearer of the two input prices, every output token used.
            var dearest = new TokenUsage(maxInput, price.CachedPer1M > price.InputPer1M ? maxInput : 0, maxOutput, 0);
            Assert.True(Pricing.Cost(dearest, price) == worstCase, $"case {i}: worst case of ({maxInput}, {maxOutput}) at {price}");
        }
    }
}
