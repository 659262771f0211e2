using Governance.Domain.Access;
using Governance.Hosting.Audit;

namespace Governance.Tests.Proxy;

public sealed class RefusalTallyTests
{
    private static readonly DateTimeOffset Minute = new(2026, 11, 2, 14, 3, 0, TimeSpan.Zero);
    private readonly RefusalTally _tally = new("edge-1");

    private void Count(string reason, string? keyId, DateTimeOffset at, int times = 1)
    {
        for (var i = 0; i < times; i++)
            _tally.Count(new RefusalCount(reason, keyId, 1), at);
    }

    [Fact]
    public void a_flood_of_refusals_is_one_report_per_minute_with_its_counts()
    {
        Count(DenialReasons.UnknownKey, null, Minute.AddSeconds(1), 100_000);
        Count(HeaderRefusals.MalformedKey, null, Minute.AddSeconds(2), 3);
        Count(DenialReasons.Revoked, "k1", Minute.AddSeconds(59), 2);
        Count(DenialReasons.UnknownKey, null, Minute.AddMinutes(1), 5);

        Assert.Empty(_tally.Seal(Minute.AddSeconds(59)));
        var report = Assert.Single(_tally.Seal(Minute.AddMinutes(1)));

        Assert.Equal(("edge-1", Minute), (report.AdapterId, report.Minute));
        Assert.Equal(_tally.Incarnation, report.Incarnation);
        Assert.Equal(
            [new(HeaderRefusals.MalformedKey, null, 3), new(DenialReasons.Revoked, "k1", 2), new(DenialReasons.UnknownKey, null, 100_000)],
            report.Counts);
        var next = Assert.Single(_tally.Seal(Minute.AddMinutes(5), all: true));
        Assert.Equal(new RefusalCount(DenialReasons.UnknownKey, null, 5), Assert.Single(next.Counts));
    }

    [Fact]
    public void a_count_for_a_minute_already_shipped_goes_into_the_next_so_no_minute_is_shipped_twice()
    {
        Count(DenialReasons.UnknownKey, null, Minute);
        Assert.Single(_tally.Seal(Minute.AddMinutes(1)));

        Count(DenialReasons.UnknownKey, null, Minute.AddSeconds(59));

        var late = Assert.Single(_tally.Seal(Minute.AddMinutes(2)));
        Assert.Equal(Minute.AddMinutes(1), late.Minute);
    }

    [Fact]
    public void stopping_ships_the_minute_in_progress_and_later_counts_stay_out_of_it()
    {
        Count(DenialReasons.UnknownKey, null, Minute.AddSeconds(10));

        Assert.Equal(Minute, Assert.Single(_tally.Seal(Minute.AddSeconds(20), all: true)).Minute);
        Count(DenialReasons.UnknownKey, null, Minute.AddSeconds(30));
        Assert.Equal(Minute.AddMinutes(1), Assert.Single(_tally.Seal(Minute.AddMinutes(2))).Minute);
    }

    [Fact]
    public void past_a_thousand_keys_a_minute_further_keys_are_counted_without_their_id()
    {
        for (var i = 0; i < RefusalTally.MaxKeysPerMinute + 500; i++)
            Count(DenialReasons.Revoked, $"key{i}", Minute);
        Count(DenialReasons.Revoked, "key0", Minute);

        var counts = Assert.Single(_tally.Seal(Minute.AddMinutes(1))).Counts;

        Assert.Equal(RefusalTally.MaxKeysPerMinute, counts.Count(c => c.KeyId is not null));
        Assert.Equal(2, counts.Single(c => c.KeyId == "key0").Count);
        Assert.Equal(500, counts.Single(c => c.KeyId is null).Count);
    }
}
