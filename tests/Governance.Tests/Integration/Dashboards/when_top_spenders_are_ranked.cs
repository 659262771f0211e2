namespace Governance.Tests.Integration.Dashboards;

[Collection(GovernanceCollection.Name)]
public sealed class when_top_spenders_are_ranked(GovernanceFixture fx)
{
    // A day no other test writes to, so the ranking holds only this test's owners.
    private static readonly DateTimeOffset Day = new(2026, 9, 14, 0, 0, 0, TimeSpan.Zero);
    private static readonly string Range = $"from={Day.UtcDateTime:O}&to={Day.AddDays(2).UtcDateTime:O}";

    private async Task<List<(string Owner, decimal Cost, long Requests)>> Top(string query) =>
        (await fx.Api.Get("/api/spend/top?" + query).Json()).EnumerateArray()
            .Select(s => (s.GetProperty("owner").GetString()!, s.GetProperty("cost").GetDecimal(), s.GetProperty("requests").GetInt64()))
            .ToList();

    [Fact]
    public async Task owners_are_ranked_by_what_they_spent_across_hours_and_days()
    {
        var (big, mid, small) = (Api.Unique("app"), Api.Unique("app"), Api.Unique("app"));
        var (keyA, keyB, model) = (Api.Unique("key"), Api.Unique("key"), Api.Unique("model"));
        await fx.RecordAsync(
            Ledger.Request(keyA, mid, model, 2.5m, Day.AddHours(3)),
            Ledger.Request(keyA, mid, model, 2.5m, Day.AddHours(27)),
            Ledger.Request(keyB, big, model, 4m, Day.AddHours(5)),
            Ledger.Request(keyB, big, model, 3.0000001m, Day.AddHours(30)),
            Ledger.Request(keyB, small, model, 0.0000001m, Day.AddHours(5)),
            // Outside the range: would make `small` the biggest spender.
            Ledger.Request(keyB, small, model, 100m, Day.AddDays(2)));

        Assert.Equal([(big, 7.0000001m, 2), (mid, 5m, 2), (small, 0.0000001m, 1)], await Top($"by=app&{Range}"));
        Assert.Equal([(big, 7.0000001m, 2)], await Top($"by=app&{Range}&limit=1"));
        Assert.Equal([(keyB, 7.0000002m, 3), (keyA, 5m, 2)], await Top($"by=key&{Range}"));
        Assert.Equal([(model, 12.0000002m, 5)], await Top($"by=model&{Range}"));
    }
}
