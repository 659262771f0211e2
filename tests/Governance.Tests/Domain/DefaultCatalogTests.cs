using Governance.Domain.Pricing;
using Governance.Domain.Usage;

namespace Governance.Tests.Domain;

public sealed class DefaultCatalogTests
{
    private static readonly IReadOnlyList<CatalogPrice> Catalog = DefaultCatalog.Load();

    private static IEnumerable<decimal> PricesOf(CatalogPrice p) =>
        p.CachedInputPer1M is { } cached ? [p.InputPer1M, p.OutputPer1M, cached] : [p.InputPer1M, p.OutputPer1M];

    [Fact]
    public void the_default_catalog_prices_at_least_fifteen_widely_used_models()
    {
        Assert.True(Catalog.Count >= 15, $"only {Catalog.Count} models");
        Assert.Contains(Catalog, p => p.Model == "gpt-4o-mini");
        Assert.Contains(Catalog, p => p.Model == "claude-sonnet-4-20250514");
        Assert.Contains(Catalog, p => p.Model == "gemini-2.5-flash");
    }

    [Fact]
    public void every_model_appears_once()
    {
        var duplicates = Catalog.GroupBy(p => p.Model, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key);

        Assert.Empty(duplicates);
    }

    [Fact]
    public void every_price_names_where_and_when_it_was_read()
    {
        Assert.All(Catalog, p =>
        {
            Assert.False(string.IsNullOrWhiteSpace(p.Model));
            Assert.False(string.IsNullOrWhiteSpace(p.Provider));
            Assert.False(string.IsNullOrWhiteSpace(p.Source));
            Assert.Contains(p.Model, p.Source);
            Assert.InRange(p.AsOf, new DateOnly(2025, 1, 1), DateOnly.FromDateTime(DateTime.UtcNow));
        });
    }

    [Fact]
    public void the_major_providers_are_covered()
    {
        // DeepSeek is left out on purpose: LiteLLM's figures for it predate DeepSeek's own current price list.
        Assert.Equal(["anthropic", "bedrock", "deepseek", "google", "openai"], Catalog.Select(p => p.Provider).Distinct().Order());
    }

    [Fact]
    public void every_price_is_a_non_negative_amount_with_at_most_ten_decimals()
    {
        Assert.All(Catalog, p => Assert.All(PricesOf(p), price =>
        {
            Assert.True(price >= 0, $"{p.Model}: {price}");
            Assert.True(price.Scale <= Pricing.MaxPriceDecimals, $"{p.Model}: {price}");
        }));
    }

    [Fact]
    public void cached_input_never_costs_more_than_fresh_input()
    {
        Assert.All(Catalog.Where(p => p.CachedInputPer1M is not null), p => Assert.True(p.CachedInputPer1M <= p.InputPer1M, p.Model));
    }

    [Fact]
    public void output_costs_at_least_as_much_as_input_for_every_model_that_bills_output()
    {
        Assert.All(Catalog.Where(p => p.OutputPer1M > 0), p => Assert.True(p.OutputPer1M >= p.InputPer1M, p.Model));
    }

    [Fact]
    public void every_catalog_price_prices_a_request_exactly()
    {
        var effective = new DateTimeOffset(2025, 10, 15, 0, 0, 0, TimeSpan.Zero);
        foreach (var p in Catalog)
        {
            var set = new PriceSet(p.Model, p.InputPer1M, p.OutputPer1M, p.CachedInputPer1M, effective, p.Source, "seed", effective);
            var version = PriceHistory.At(PriceHistory.Add([], set), effective.AddDays(1))!;

            // One million fresh input, one million cached input and one million output tokens.
            var expected = p.InputPer1M + (p.CachedInputPer1M ?? p.InputPer1M) + p.OutputPer1M;
            Assert.Equal(expected, Pricing.Cost(new TokenUsage(2_000_000, 1_000_000, 1_000_000, 0), version));
            Assert.True(Pricing.WorstCase(Pricing.MaxTokens, Pricing.MaxTokens, version) >= 0);
        }
    }

    [Fact]
    public void catalog_figures_match_the_litellm_entries_they_cite()
    {
        var imported = LiteLlmPriceFile.Parse(LiteLlmSample.Json).Prices.ToDictionary(p => p.Model);

        var compared = 0;
        foreach (var p in Catalog.Where(p => imported.ContainsKey(p.Model)))
        {
            var litellm = imported[p.Model];
            Assert.Equal((litellm.InputPer1M, litellm.OutputPer1M, litellm.CachedInputPer1M), (p.InputPer1M, p.OutputPer1M, p.CachedInputPer1M));
            compared++;
        }

        Assert.True(compared >= 4, $"only {compared} catalog models are in the sample");
    }
}
