using System.Text.Json;
using Governance.Projections.Dashboards;

namespace Governance.Tests.Integration.Dashboards;

[Collection(GovernanceCollection.Name)]
public sealed class when_spend_is_charted(GovernanceFixture fx)
{
    private static readonly DateTimeOffset Day1 = new(2026, 10, 5, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Day2 = Day1.AddDays(1);

    private sealed record Point(string Owner, DateTimeOffset BucketStart, decimal Cost, long Requests, long InputTokens, long OutputTokens);

    private async Task<List<Point>> Series(string query) =>
        (await fx.Api.Get("/api/spend?" + query).Json()).EnumerateArray().Select(p => new Point(
            p.GetProperty("owner").GetString()!, p.GetProperty("bucketStart").GetDateTimeOffset(), p.GetProperty("cost").GetDecimal(),
            p.GetProperty("requests").GetInt64(), p.GetProperty("inputTokens").GetInt64(), p.GetProperty("outputTokens").GetInt64())).ToList();

    private static string Range(DateTimeOffset from, DateTimeOffset to) => $"from={from.UtcDateTime:O}&to={to.UtcDateTime:O}";

    [Fact]
    public async Task hours_and_utc_days_sum_every_request_exactly()
    {
        var (app, key, model) = (Api.Unique("app"), Api.Unique("key"), Api.Unique("model"));
        await fx.RecordAsync(
            Ledger.Request(key, app, model, 0.000000123456789m, Day1.AddHours(10).AddMinutes(5), input: 1000, output: 10),
            Ledger.Request(key, app, model, 0.1m, Day1.AddHours(11).AddTicks(-1), input: 2000, output: 20),
            Ledger.Request(key, app, model, 1.25m, Day1.AddHours(11), input: 3000, output: 30),
            // 01:30 at +02:00 is 23:30 UTC on the day before: buckets are UTC hours.
            Ledger.Request(key, app, model, 0.5m, new DateTimeOffset(2026, 10, 6, 1, 30, 0, TimeSpan.FromHours(2)), input: 400, output: 4),
            Ledger.Request(key, app, model, 2.5000000001m, Day2.AddHours(9).AddMinutes(30), input: 500, output: 5, status: 500));

        Assert.Equal(
            [
                new Point(app, Day1.AddHours(10), 0.100000123456789m, 2, 3000, 30),
                new Point(app, Day1.AddHours(11), 1.25m, 1, 3000, 30),
                new Point(app, Day1.AddHours(23), 0.5m, 1, 400, 4),
                new Point(app, Day2.AddHours(9), 2.5000000001m, 1, 500, 5),
            ],
            await Series($"by=app&granularity=hour&owner={app}&{Range(Day1, Day2.AddDays(1))}"));

        List<Point> daily =
        [
            new(app, Day1, 1.850000123456789m, 4, 6400, 64),
            new(app, Day2, 2.5000000001m, 1, 500, 5),
        ];
        Assert.Equal(daily, await Series($"by=app&granularity=day&owner={app}&{Range(Day1, Day2.AddDays(1))}"));
        Assert.Equal(daily.Select(p => p with { Owner = key }), await Series($"by=key&granularity=day&owner={key}&{Range(Day1, Day2.AddDays(1))}"));
        Assert.Equal(daily.Select(p => p with { Owner = model }), await Series($"by=model&granularity=day&owner={model}&{Range(Day1, Day2.AddDays(1))}"));

        // to is exclusive, from inclusive: only the hours starting in [10:00, 11:00).
        Assert.Equal([new Point(app, Day1.AddHours(10), 0.100000123456789m, 2, 3000, 30)],
            await Series($"by=app&owner={app}&{Range(Day1.AddHours(10), Day1.AddHours(11))}"));
    }

    [Fact]
    public async Task every_owner_gets_its_own_series_ordered_by_owner_then_time()
    {
        var (a, b, key, model) = (Api.Unique("app"), Api.Unique("app"), Api.Unique("key"), Api.Unique("model"));
        var day = Day1.AddDays(10);
        await fx.RecordAsync(
            Ledger.Request(key, b, model, 3m, day.AddHours(2)),
            Ledger.Request(key, a, model, 2m, day.AddHours(5)),
            Ledger.Request(key, a, model, 1m, day.AddHours(1)),
            Ledger.Request(key, b, model, 4m, day.AddHours(1)));

        var points = (await Series($"by=app&{Range(day, day.AddDays(1))}")).Where(p => p.Owner == a || p.Owner == b).ToList();

        var expected = new[] { (a, 1), (a, 5), (b, 1), (b, 2) }.OrderBy(x => x.Item1, StringComparer.Ordinal).ThenBy(x => x.Item2);
        Assert.Equal(expected, points.Select(p => (p.Owner, p.BucketStart.Hour)));
        Assert.Equal(10m, points.Sum(p => p.Cost));
    }

    [Fact]
    public async Task the_team_dimension_counts_only_requests_that_have_a_team()
    {
        var (team, key, model) = (Api.Unique("team"), Api.Unique("key"), Api.Unique("model"));
        var (billing, search, loner) = (Api.Unique("app"), Api.Unique("app"), Api.Unique("app"));
        var day = Day1.AddDays(2);
        await fx.RecordAsync(
            Ledger.Request(key, billing, model, 1.1m, day.AddHours(8), team: team),
            Ledger.Request(key, search, model, 2.2m, day.AddHours(8).AddMinutes(30), team: team),
            Ledger.Request(key, loner, model, 40m, day.AddHours(8).AddMinutes(45)));

        var teams = await Series($"by=team&{Range(day, day.AddDays(1))}");
        Assert.Equal([new Point(team, day.AddHours(8), 3.3m, 2, 200, 20)], teams);
        // The same requests all count for their key, team or not.
        Assert.Equal(43.3m, (await Series($"by=key&owner={key}&{Range(day, day.AddDays(1))}")).Single().Cost);
    }

    [Fact]
    public async Task without_a_range_hours_cover_the_last_day_and_days_the_last_thirty()
    {
        var (app, key, model) = (Api.Unique("app"), Api.Unique("key"), Api.Unique("model"));
        var now = fx.Clock.GetUtcNow();
        await fx.RecordAsync(
            Ledger.Request(key, app, model, 0.25m, now.AddHours(-1)),
            Ledger.Request(key, app, model, 0.5m, now.AddHours(-23)),
            Ledger.Request(key, app, model, 1m, now.AddDays(-3)),
            Ledger.Request(key, app, model, 8m, now.AddDays(-40)));

        var hours = await Series($"by=app&owner={app}");
        Assert.Equal([SpendBucket.HourOf(now.AddHours(-23)), SpendBucket.HourOf(now.AddHours(-1))], hours.Select(p => p.BucketStart));
        Assert.Equal(0.75m, hours.Sum(p => p.Cost));

        var days = await Series($"by=app&granularity=day&owner={app}");
        Assert.Equal(1.75m, days.Sum(p => p.Cost));
        Assert.Equal(SpendBucket.DayOf(now.AddDays(-3)), days[0].BucketStart);
    }

    [Fact]
    public async Task the_dashboards_need_an_operator_token()
    {
        await fx.Api.Get("/api/spend?by=app", 401, token: null);
        await fx.Api.Get("/api/spend/top?by=app", 401, token: null);
        await fx.Api.Get("/api/requests", 401, token: null);
    }
}
