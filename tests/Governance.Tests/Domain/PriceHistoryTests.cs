using System.Globalization;
using Governance.Domain.Catalog;
using Governance.Domain.Pricing;

namespace Governance.Tests.Domain;

public sealed class PriceHistoryTests
{
    private static readonly DateTimeOffset Jan = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Mar = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = new(2026, 2, 10, 9, 0, 0, TimeSpan.Zero);
    private const string Model = "gpt-4o-mini";

    private static PriceSet Set(decimal input, decimal output, DateTimeOffset effectiveFrom, decimal? cached = null, string source = "manual") =>
        new(Model, input, output, cached, effectiveFrom, source, "alice", Now);

    private static IReadOnlyList<PriceVersion> History(params PriceSet[] sets) =>
        sets.Aggregate((IReadOnlyList<PriceVersion>)[], PriceHistory.Add);

    private static decimal Usd(string amount) => decimal.Parse(amount, CultureInfo.InvariantCulture);

    // ---- Add ----

    [Fact]
    public void versions_are_numbered_from_one_in_the_order_prices_were_set()
    {
        var history = History(Set(0.15m, 0.6m, Mar), Set(0.10m, 0.4m, Jan), Set(0.20m, 0.8m, Mar, cached: 0.05m, source: "import"));

        Assert.Equal([1, 2, 3], history.Select(v => v.Version));
        Assert.Equal(new PriceVersion(3, 0.20m, 0.8m, 0.05m, Mar, "import"), history[2]);
    }

    [Fact]
    public void adding_a_price_keeps_every_earlier_version()
    {
        var before = History(Set(0.15m, 0.6m, Jan));

        var after = PriceHistory.Add(before, Set(0.20m, 0.8m, Mar));

        Assert.Single(before);
        Assert.Equal(before[0], after[0]);
        Assert.Equal(2, after.Count);
    }

    // ---- At ----

    [Fact]
    public void there_is_no_price_before_the_first_one_takes_effect()
    {
        var history = History(Set(0.15m, 0.6m, Jan));

        Assert.Null(PriceHistory.At(history, Jan.AddTicks(-1)));
        Assert.Null(PriceHistory.At([], Now));
    }

    [Fact]
    public void a_price_applies_from_the_exact_instant_it_takes_effect()
    {
        var history = History(Set(0.15m, 0.6m, Jan), Set(0.20m, 0.8m, Mar));

        Assert.Equal(1, PriceHistory.At(history, Jan)!.Version);
        Assert.Equal(1, PriceHistory.At(history, Mar.AddTicks(-1))!.Version);
        Assert.Equal(2, PriceHistory.At(history, Mar)!.Version);
        Assert.Equal(2, PriceHistory.At(history, Mar.AddYears(5))!.Version);
    }

    [Fact]
    public void a_price_scheduled_earlier_but_set_later_applies_from_its_own_date()
    {
        // Set second, effective first: a back-dated correction.
        var history = History(Set(0.15m, 0.6m, Mar), Set(0.10m, 0.4m, Jan));

        Assert.Equal(0.10m, PriceHistory.At(history, Now)!.InputPer1M);
        Assert.Equal(0.15m, PriceHistory.At(history, Mar)!.InputPer1M);
    }

    [Fact]
    public void when_two_prices_take_effect_at_the_same_instant_the_one_set_later_wins()
    {
        var history = History(Set(0.15m, 0.6m, Jan), Set(0.20m, 0.8m, Jan), Set(0.30m, 0.9m, Mar));

        var price = PriceHistory.At(history, Now)!;

        Assert.Equal(2, price.Version);
        Assert.Equal(0.20m, price.InputPer1M);
    }

    [Fact]
    public void the_effective_instant_is_compared_in_utc_whatever_its_offset()
    {
        var history = History(Set(0.15m, 0.6m, Jan), Set(0.20m, 0.8m, Mar));
        var justBeforeMarchInNewYork = new DateTimeOffset(2026, 2, 28, 18, 59, 59, TimeSpan.FromHours(-5));
        var marchInNewYork = new DateTimeOffset(2026, 2, 28, 19, 0, 0, TimeSpan.FromHours(-5));

        Assert.Equal(1, PriceHistory.At(history, justBeforeMarchInNewYork)!.Version);
        Assert.Equal(2, PriceHistory.At(history, marchInNewYork)!.Version);
    }

    [Fact]
    public void cached_tokens_cost_the_input_price_when_the_model_has_no_cached_price()
    {
        var history = History(Set(0.15m, 0.6m, Jan), Set(0.15m, 0.6m, Mar, cached: 0.075m));

        Assert.Equal(0.15m, PriceHistory.At(history, Jan)!.CachedPer1M);
        Assert.Equal(0.075m, PriceHistory.At(history, Mar)!.CachedPer1M);
    }

    // ---- IsSameAsLatest ----

    [Fact]
    public void setting_the_current_price_again_is_recognised_as_a_no_op()
    {
        var history = History(Set(0.15m, 0.6m, Jan, cached: 0.075m));

        Assert.True(PriceHistory.IsSameAsLatest(history, 0.15m, 0.6m, 0.075m, Now));
        Assert.True(PriceHistory.IsSameAsLatest(history, 0.150m, 0.60m, 0.0750m, Jan));
    }

    [Theory]
    [InlineData("0.16", "0.6", "0.075")]
    [InlineData("0.15", "0.61", "0.075")]
    [InlineData("0.15", "0.6", "0.07")]
    public void a_changed_price_is_not_a_no_op(string input, string output, string cached)
    {
        var history = History(Set(0.15m, 0.6m, Jan, cached: 0.075m));

        Assert.False(PriceHistory.IsSameAsLatest(history, Usd(input), Usd(output), Usd(cached), Now));
    }

    [Fact]
    public void dropping_or_adding_a_cached_price_is_not_a_no_op()
    {
        Assert.False(PriceHistory.IsSameAsLatest(History(Set(0.15m, 0.6m, Jan, cached: 0.075m)), 0.15m, 0.6m, null, Now));
        Assert.False(PriceHistory.IsSameAsLatest(History(Set(0.15m, 0.6m, Jan)), 0.15m, 0.6m, 0.15m, Now));
    }

    [Fact]
    public void a_price_for_a_time_before_any_price_took_effect_is_not_a_no_op()
    {
        Assert.False(PriceHistory.IsSameAsLatest(History(Set(0.15m, 0.6m, Mar)), 0.15m, 0.6m, null, Jan));
        Assert.False(PriceHistory.IsSameAsLatest([], 0.15m, 0.6m, null, Jan));
    }

    [Fact]
    public void restating_the_current_price_while_a_change_is_scheduled_is_not_a_no_op()
    {
        var history = History(Set(0.15m, 0.6m, Jan), Set(0.20m, 0.8m, Mar));

        Assert.False(PriceHistory.IsSameAsLatest(history, 0.15m, 0.6m, null, Now));
        Assert.True(PriceHistory.IsSameAsLatest(history, 0.20m, 0.8m, null, Mar));
    }

    [Fact]
    public void the_same_price_at_the_same_instant_as_a_later_set_price_compares_with_the_winner()
    {
        var history = History(Set(0.15m, 0.6m, Jan), Set(0.20m, 0.8m, Jan));

        Assert.False(PriceHistory.IsSameAsLatest(history, 0.15m, 0.6m, null, Jan));
        Assert.True(PriceHistory.IsSameAsLatest(history, 0.20m, 0.8m, null, Jan));
    }

    // ---- ModelDefinition ----

    [Fact]
    public void a_model_known_only_from_a_price_list_has_prices_but_no_route()
    {
        var model = ModelDefinition.Evolve(null, Set(0.15m, 0.6m, Jan))!;

        Assert.Equal(Model, model.Id);
        Assert.False(model.IsRouted);
        Assert.Null(model.Provider);
        Assert.Null(model.UpstreamModel);
        Assert.Null(model.RegisteredAt);
        Assert.Equal(0.15m, model.PriceAt(Now)!.InputPer1M);
    }

    [Fact]
    public void registering_a_priced_model_adds_its_route_and_keeps_its_prices()
    {
        var registered = new ModelRegistered(Model, "openai-main", "gpt-4o-mini-2024-07-18", "alice", Now);
        var model = new object[] { Set(0.15m, 0.6m, Jan), Set(0.20m, 0.8m, Mar), registered }
            .Aggregate((ModelDefinition?)null, ModelDefinition.Evolve)!;

        Assert.True(model.IsRouted);
        Assert.Equal("openai-main", model.Provider);
        Assert.Equal("gpt-4o-mini-2024-07-18", model.UpstreamModel);
        Assert.Equal(Now, model.RegisteredAt);
        Assert.Equal([1, 2], model.Prices.Select(p => p.Version));
        Assert.Equal(0.15m, model.PriceAt(Now)!.InputPer1M);
        Assert.Equal(0.20m, model.PriceAt(Mar)!.InputPer1M);
    }

    [Fact]
    public void a_model_registered_before_any_price_has_a_route_but_no_price_yet()
    {
        var model = ModelDefinition.Evolve(null, new ModelRegistered(Model, "openai-main", "gpt-4o-mini", "alice", Now))!;

        Assert.True(model.IsRouted);
        Assert.Empty(model.Prices);
        Assert.Null(model.PriceAt(Now));

        var priced = ModelDefinition.Evolve(model, Set(0.15m, 0.6m, Now))!;
        Assert.Equal("openai-main", priced.Provider);
        Assert.Equal(1, priced.PriceAt(Now)!.Version);
    }

    [Fact]
    public void a_past_request_is_priced_as_it_was_then_after_a_price_change()
    {
        var model = new object[] { Set(0.15m, 0.6m, Jan), Set(0.20m, 0.8m, Mar) }.Aggregate((ModelDefinition?)null, ModelDefinition.Evolve)!;

        Assert.Equal(0.15m, model.PriceAt(Mar.AddTicks(-1))!.InputPer1M);
        Assert.Equal(0.20m, model.PriceAt(Mar)!.InputPer1M);
        Assert.Null(model.PriceAt(Jan.AddTicks(-1)));
    }
}
