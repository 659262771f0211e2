using Governance.Domain.Catalog;
using Governance.Domain.Pricing;

namespace Governance.Tests.Domain;

/// <summary>A model's limits as its catalog events make them: old events still replay, and each limit is the latest named.</summary>
public sealed class ModelLimitsTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 2, 14, 0, 0, TimeSpan.Zero);

    private static ModelDefinition Model(params object[] events) =>
        events.Aggregate((ModelDefinition?)null, ModelDefinition.Evolve) ?? throw new InvalidOperationException("no model");

    private static PriceSet Price(ModelLimits? limits = null) =>
        new("m", 1m, 2m, null, Now, "test", "op_admin", Now) { Limits = limits };

    [Fact]
    public void events_recorded_before_limits_existed_replay_to_a_model_without_limits()
    {
        var model = Model(new ModelRegistered("m", "p", "u", "op_admin", Now), Price());

        Assert.Equal(ModelLimits.None, model.Limits);
    }

    [Fact]
    public void a_limit_named_later_replaces_the_earlier_one_and_an_unnamed_one_is_kept()
    {
        var model = Model(
            Price(new ModelLimits(128_000, 16_384)),
            new ModelRegistered("m", "p", "u", "op_admin", Now) { Limits = new ModelLimits(MaxOutputTokens: 8_192, MaxCostPerPart: 0.01m) },
            Price());

        Assert.Equal(new ModelLimits(128_000, 8_192, 0.01m), model.Limits);
    }

    [Theory]
    [InlineData(0L, null, null, "maxInputTokens")]
    [InlineData(null, -1L, null, "maxOutputTokens")]
    [InlineData(null, 100_000_001L, null, "maxOutputTokens")]
    [InlineData(null, null, "0", "maxCostPerPart")]
    [InlineData(null, null, "1000.01", "maxCostPerPart")]
    [InlineData(null, null, "0.00000000001", "maxCostPerPart")]
    public void limits_out_of_bounds_name_the_field(long? maxInput, long? maxOutput, string? perPart, string field)
    {
        var limits = new ModelLimits(maxInput, maxOutput, perPart is null ? null : decimal.Parse(perPart, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(field, limits.Invalid());
    }

    [Fact]
    public void every_default_catalog_model_names_its_input_window_and_every_chat_model_its_output()
    {
        Assert.All(DefaultCatalog.Load(), p =>
        {
            Assert.Null(p.Limits.Invalid());
            Assert.NotNull(p.MaxInputTokens);
            if (!p.Model.StartsWith("text-embedding", StringComparison.Ordinal))
                Assert.NotNull(p.MaxOutputTokens);
        });
    }
}
