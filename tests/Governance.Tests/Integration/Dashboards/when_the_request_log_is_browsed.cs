using System.Text.Json;

namespace Governance.Tests.Integration.Dashboards;

[Collection(GovernanceCollection.Name)]
public sealed class when_the_request_log_is_browsed(GovernanceFixture fx)
{
    private static readonly DateTimeOffset Start = new(2026, 8, 20, 12, 0, 0, TimeSpan.Zero);

    private async Task<(List<JsonElement> Items, string? Next)> Page(string query)
    {
        var page = await fx.Api.Get("/api/requests?" + query).Json();
        var next = page.GetProperty("next");
        return (page.GetProperty("items").EnumerateArray().ToList(), next.ValueKind == JsonValueKind.Null ? null : next.GetString());
    }

    private async Task<List<string>> Ids(string query)
    {
        var (items, next) = await Page(query);
        Assert.Null(next);
        return items.Select(r => r.GetProperty("id").GetString()!).ToList();
    }

    private async Task<List<string>> AllPages(string query, int limit, Func<Task>? betweenPages = null)
    {
        var ids = new List<string>();
        string? cursor = null;
        do
        {
            var (items, next) = await Page($"{query}&limit={limit}" + (cursor is null ? "" : $"&after={Uri.EscapeDataString(cursor)}"));
            Assert.InRange(items.Count, 1, limit);
            ids.AddRange(items.Select(r => r.GetProperty("id").GetString()!));
            cursor = next;
            if (betweenPages is not null)
                await betweenPages();
        } while (cursor is not null);
        return ids;
    }

    [Fact]
    public async Task filters_narrow_the_log_newest_first()
    {
        var (key, otherKey, app, team) = (Api.Unique("key"), Api.Unique("key"), Api.Unique("app"), Api.Unique("team"));
        var (m1, m2) = (Api.Unique("model"), Api.Unique("model"));
        var oldest = Ledger.Request(key, app, m1, 0.1m, Start);
        var failed = Ledger.Request(key, app, m2, 0m, Start.AddMinutes(10), status: 502);
        var middle = Ledger.Request(key, app, m2, 0.2m, Start.AddMinutes(20), team: team);
        var throttled = Ledger.Request(key, app, m1, 0m, Start.AddMinutes(30), status: 429);
        var newest = Ledger.Request(key, app, m1, 0.3m, Start.AddHours(2));
        var otherKeys = Ledger.Request(otherKey, app, m1, 0.4m, Start.AddMinutes(15));
        await fx.RecordAsync(oldest, failed, middle, throttled, newest, otherKeys);

        Assert.Equal([newest.RequestId, throttled.RequestId, middle.RequestId, failed.RequestId, oldest.RequestId], await Ids($"key={key}"));
        Assert.Equal([newest.RequestId, throttled.RequestId, middle.RequestId, otherKeys.RequestId, failed.RequestId, oldest.RequestId],
            await Ids($"app={app}"));
        Assert.Equal([middle.RequestId, failed.RequestId], await Ids($"key={key}&model={m2}"));
        Assert.Equal([failed.RequestId], await Ids($"app={app}&status=502"));
        Assert.Equal([middle.RequestId], await Ids($"team={team}"));
        // from inclusive, to exclusive.
        Assert.Equal([throttled.RequestId, middle.RequestId, otherKeys.RequestId, failed.RequestId],
            await Ids($"app={app}&from={Start.AddMinutes(10).UtcDateTime:O}&to={Start.AddMinutes(30).AddMicroseconds(1).UtcDateTime:O}"));

        var record = (await Page($"key={key}&status=429")).Items.Single();
        Assert.Equal(m1, record.GetProperty("model").GetString());
        Assert.Equal(429, record.GetProperty("status").GetInt32());
        Assert.Equal(Start.AddMinutes(30), record.GetProperty("completedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task paging_returns_every_request_once_in_order_even_while_new_ones_arrive()
    {
        var (key, app, model) = (Api.Unique("key"), Api.Unique("app"), Api.Unique("model"));
        // PostgreSQL keeps microseconds; the 100 ns ticks .NET has are truncated on the way in, so the requests 0.6 and
        // 0.8 µs after 1 ms tie there, as do 1.1 and 1.4 µs and the two at the very same instant 2 ms in. Such ties are
        // ordered by request id, and a page boundary inside one must lose or repeat nothing.
        var oneMs = Start.AddMilliseconds(1);
        var instants = new[]
        {
            Start, oneMs.AddTicks(6), oneMs.AddTicks(8), oneMs.AddTicks(11), oneMs.AddTicks(14),
            Start.AddMilliseconds(2), Start.AddMilliseconds(2), Start.AddSeconds(1), Start.AddMinutes(1),
        };
        var requests = instants.Select(at => Ledger.Request(key, app, model, 0.01m, at)).ToArray();
        await fx.RecordAsync(requests);
        var expected = requests
            .OrderByDescending(r => r.OccurredAt.UtcTicks / 10)
            .ThenByDescending(r => r.RequestId, StringComparer.Ordinal)
            .Select(r => r.RequestId).ToList();

        Assert.Equal(expected, await Ids($"key={key}"));
        foreach (var limit in new[] { 1, 2, 3, 4, 9 })
            Assert.Equal(expected, await AllPages($"key={key}", limit));

        // A request recorded mid-way is newer than the cursor: it neither shifts nor repeats the later pages.
        Assert.Equal(expected, await AllPages($"key={key}", 2,
            () => fx.RecordAsync(Ledger.Request(key, app, model, 0.01m, Start.AddHours(1)))));
    }
}
