using Governance.Domain.Keys;

namespace Governance.Tests.Domain;

/// <summary>A key's fleet-wide rate allowance (docs/gateway.md, "Rate limits"): what one adapter gets of a slot, and when it is refused.</summary>
public sealed class RateAllowanceTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 2, TimeSpan.Zero);
    private static readonly long Slot = RateAllowance.SlotOf(Now);

    private static RateAsk Ask(string adapter, long requests = 0, long wantRequests = 0, long tokens = 0, long wantTokens = 0, int parallel = 0) =>
        new(adapter, requests, wantRequests, tokens, wantTokens, parallel);

    [Fact]
    public void an_adapter_alone_gets_what_it_wants_and_a_second_one_a_fair_share_of_what_is_left()
    {
        var limits = new KeyRateLimits(100, null, null);

        var first = RateAllowance.Decide(limits, Ask("a", 1, 10), [], [], Slot, Now);
        Assert.Equal((true, 10L), (first.Granted, first.Requests));

        var second = RateAllowance.Decide(limits, Ask("b", 1, 80), [new SlotGrant(Slot, "a", 10, 0)], [], Slot, Now);
        Assert.Equal((true, 45L), (second.Granted, second.Requests));
    }

    [Fact]
    public void near_the_end_of_the_minute_each_ask_gets_exactly_its_need()
    {
        var limits = new KeyRateLimits(20, null, null);
        var grant = RateAllowance.Decide(limits, Ask("b", 1, 10), [new SlotGrant(Slot - 3, "a", 17, 0)], [], Slot, Now);
        Assert.Equal((true, 1L), (grant.Granted, grant.Requests));
    }

    [Fact]
    public void grants_of_the_last_twelve_slots_count_and_older_ones_do_not()
    {
        var limits = new KeyRateLimits(10, null, null);
        SlotGrant[] grants = [new(Slot - 11, "a", 10, 0)];

        var refused = RateAllowance.Decide(limits, Ask("b", 1, 1), grants, [], Slot, Now);
        Assert.False(refused.Granted);
        Assert.Equal(RateGrant.RequestsPerMinute, refused.Limit);
        // Slot - 11 leaves the minute when slot + 1 begins: 3 s after 12:00:02.
        Assert.Equal(TimeSpan.FromSeconds(3), refused.RetryAfter);

        Assert.True(RateAllowance.Decide(limits, Ask("b", 1, 1), grants, [], Slot + 1, Now.AddSeconds(3)).Granted);
    }

    [Fact]
    public void a_token_need_larger_than_the_whole_limit_is_told_to_wait_a_full_minute()
    {
        var refused = RateAllowance.Decide(new KeyRateLimits(null, 1_000, null), Ask("a", tokens: 1_001, wantTokens: 1_001), [], [], Slot, Now);
        Assert.Equal((false, RateGrant.TokensPerMinute, TimeSpan.FromMinutes(1)), (refused.Granted, refused.Limit, refused.RetryAfter));
    }

    [Fact]
    public void parallel_slots_held_by_other_adapters_count_and_giving_slots_back_is_never_refused()
    {
        var limits = new KeyRateLimits(null, null, 2);
        ParallelHold[] holds = [new("a", 1), new("b", 1)];

        var refused = RateAllowance.Decide(limits, Ask("b", parallel: 2), [], holds, Slot, Now);
        Assert.Equal((false, RateGrant.MaxParallel, 1), (refused.Granted, refused.Limit, refused.Parallel));

        var released = RateAllowance.Decide(limits, Ask("a", parallel: 0), [], holds, Slot, Now);
        Assert.Equal((true, 0), (released.Granted, released.Parallel));
        var taken = RateAllowance.Decide(limits, Ask("b", parallel: 2), [], [new("b", 1)], Slot, Now);
        Assert.Equal((true, 2), (taken.Granted, taken.Parallel));
    }

    [Fact]
    public void nothing_is_granted_when_one_limit_refuses()
    {
        var limits = new KeyRateLimits(10, 100, null);
        var refused = RateAllowance.Decide(limits, Ask("a", 1, 10, 200, 200), [], [], Slot, Now);
        Assert.Equal((false, 0L, 0L), (refused.Granted, refused.Requests, refused.Tokens));
    }
}
