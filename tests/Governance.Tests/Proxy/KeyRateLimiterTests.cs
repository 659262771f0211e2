using Governance.Domain.Keys;
using ProxyAdapter.Limits;

namespace Governance.Tests.Proxy;

public sealed class KeyRateLimiterTests
{
    // On a slot boundary, so "seconds later" lands where the test says.
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private const string Key = "key_rl";

    private static KeyRateLimits Rpm(long rpm) => new(rpm, null, null);

    [Fact]
    public void requests_beyond_the_per_minute_limit_are_refused_until_the_first_ones_leave_the_window()
    {
        var limiter = new KeyRateLimiter();
        for (var i = 0; i < 3; i++)
            Assert.True(limiter.TryAcquire(Key, Rpm(5), 0, T0).Allowed);
        for (var i = 0; i < 2; i++)
            Assert.True(limiter.TryAcquire(Key, Rpm(5), 0, T0.AddSeconds(20)).Allowed);

        var denied = limiter.TryAcquire(Key, Rpm(5), 0, T0.AddSeconds(30));
        Assert.False(denied.Allowed);
        Assert.Equal("rate_limited", denied.Reason);
        Assert.Equal(RateLimitDecision.RequestsPerMinute, denied.Limit);
        // The three from T0 leave the window at T0 + 60 s: retry in 30 s.
        Assert.Equal(30, denied.RetryAfterSeconds);

        Assert.False(limiter.TryAcquire(Key, Rpm(5), 0, T0.AddSeconds(59)).Allowed);
        // The window rolled past T0's slot: three requests fit again, not four.
        for (var i = 0; i < 3; i++)
            Assert.True(limiter.TryAcquire(Key, Rpm(5), 0, T0.AddSeconds(60)).Allowed);
        var again = limiter.TryAcquire(Key, Rpm(5), 0, T0.AddSeconds(60));
        Assert.False(again.Allowed);
        Assert.Equal(20, again.RetryAfterSeconds);
    }

    [Fact]
    public void a_refused_request_is_not_counted()
    {
        var limiter = new KeyRateLimiter();
        Assert.True(limiter.TryAcquire(Key, Rpm(1), 0, T0).Allowed);
        for (var i = 0; i < 10; i++)
            Assert.False(limiter.TryAcquire(Key, Rpm(1), 0, T0.AddSeconds(30)).Allowed);

        Assert.True(limiter.TryAcquire(Key, Rpm(1), 0, T0.AddSeconds(60)).Allowed);
    }

    [Fact]
    public void tokens_are_held_at_the_estimate_then_corrected_to_what_the_call_used()
    {
        var limiter = new KeyRateLimiter();
        var limits = new KeyRateLimits(null, 1000, null);
        var first = limiter.TryAcquire(Key, limits, 800, T0);
        Assert.True(first.Allowed);

        var refused = limiter.TryAcquire(Key, limits, 300, T0.AddSeconds(1));
        Assert.False(refused.Allowed);
        Assert.Equal(RateLimitDecision.TokensPerMinute, refused.Limit);
        Assert.Equal(59, refused.RetryAfterSeconds);

        // The call used 200 tokens, not 800: 800 are left this minute.
        limiter.Complete(first.Permit!, 200, T0.AddSeconds(2));
        Assert.True(limiter.TryAcquire(Key, limits, 300, T0.AddSeconds(3)).Allowed);
        Assert.True(limiter.TryAcquire(Key, limits, 500, T0.AddSeconds(3)).Allowed);
        Assert.False(limiter.TryAcquire(Key, limits, 1, T0.AddSeconds(3)).Allowed);
    }

    [Fact]
    public void a_call_that_used_more_tokens_than_estimated_counts_what_it_used()
    {
        var limiter = new KeyRateLimiter();
        var limits = new KeyRateLimits(null, 1000, null);
        var call = limiter.TryAcquire(Key, limits, 100, T0);
        limiter.Complete(call.Permit!, 900, T0.AddSeconds(1));

        Assert.False(limiter.TryAcquire(Key, limits, 200, T0.AddSeconds(2)).Allowed);
        Assert.True(limiter.TryAcquire(Key, limits, 100, T0.AddSeconds(2)).Allowed);
    }

    [Fact]
    public void a_stream_that_outlives_the_window_counts_its_extra_tokens_when_it_ends()
    {
        var limiter = new KeyRateLimiter();
        var limits = new KeyRateLimits(null, 1000, null);
        var stream = limiter.TryAcquire(Key, limits, 800, T0);

        // The estimate left the window at T0 + 60 s; the 100 tokens beyond it count from when the stream ended.
        limiter.Complete(stream.Permit!, 900, T0.AddSeconds(70));

        Assert.False(limiter.TryAcquire(Key, limits, 901, T0.AddSeconds(70)).Allowed);
        Assert.True(limiter.TryAcquire(Key, limits, 900, T0.AddSeconds(70)).Allowed);
    }

    [Fact]
    public void a_request_larger_than_the_whole_token_limit_is_refused_with_a_full_window_to_wait()
    {
        var limiter = new KeyRateLimiter();
        var denied = limiter.TryAcquire(Key, new KeyRateLimits(null, 1000, null), 5000, T0);

        Assert.False(denied.Allowed);
        Assert.Equal(60, denied.RetryAfterSeconds);
    }

    [Fact]
    public void parallel_requests_beyond_the_limit_wait_for_one_to_complete()
    {
        var limiter = new KeyRateLimiter();
        var limits = new KeyRateLimits(null, null, 2);
        var a = limiter.TryAcquire(Key, limits, 0, T0);
        var b = limiter.TryAcquire(Key, limits, 0, T0);
        var c = limiter.TryAcquire(Key, limits, 0, T0);

        Assert.True(a.Allowed && b.Allowed);
        Assert.False(c.Allowed);
        Assert.Equal(RateLimitDecision.MaxParallel, c.Limit);

        limiter.Complete(a.Permit!, 0, T0);
        // Completing twice must not free a second slot.
        limiter.Complete(a.Permit!, 0, T0);
        Assert.True(limiter.TryAcquire(Key, limits, 0, T0).Allowed);
        Assert.False(limiter.TryAcquire(Key, limits, 0, T0).Allowed);
    }

    [Fact]
    public void a_zero_limit_refuses_everything_and_no_limits_allow_everything()
    {
        var limiter = new KeyRateLimiter();
        Assert.False(limiter.TryAcquire(Key, Rpm(0), 0, T0).Allowed);
        for (var i = 0; i < 1000; i++)
            Assert.True(limiter.TryAcquire("key_free", KeyRateLimits.None, 1_000_000, T0).Allowed);
        Assert.Equal(1, limiter.TrackedKeys);
    }

    [Fact]
    public void with_a_share_of_one_half_an_adapter_admits_half_of_each_limit()
    {
        var limiter = new KeyRateLimiter(0.5);
        var admitted = Enumerable.Range(0, 20).Count(_ => limiter.TryAcquire(Key, Rpm(10), 0, T0).Allowed);
        Assert.Equal(5, admitted);

        // Rounded down, but never to zero: a limit of 1 still admits one request on each adapter.
        Assert.True(limiter.TryAcquire("key_tiny", Rpm(1), 0, T0).Allowed);
        Assert.False(limiter.TryAcquire("key_tiny", Rpm(1), 0, T0).Allowed);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void a_share_outside_zero_to_one_is_refused_at_start_up(double share) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new KeyRateLimiter(share));

    [Fact]
    public void many_threads_never_exceed_the_parallel_limit_nor_the_request_limit()
    {
        var limiter = new KeyRateLimiter();
        var limits = new KeyRateLimits(5000, null, 4);
        var inside = 0;
        var most = 0;
        var admitted = 0;
        Parallel.For(0, 20_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            var decision = limiter.TryAcquire(Key, limits, 0, T0);
            if (!decision.Allowed)
                return;
            Interlocked.Increment(ref admitted);
            var now = Interlocked.Increment(ref inside);
            int seen;
            while ((seen = Volatile.Read(ref most)) < now && Interlocked.CompareExchange(ref most, now, seen) != seen) { }
            Thread.SpinWait(50);
            Interlocked.Decrement(ref inside);
            limiter.Complete(decision.Permit!, 0, T0);
        });

        Assert.InRange(most, 1, 4);
        Assert.InRange(admitted, 1, 5000);
    }

    [Fact]
    public void keys_idle_for_a_minute_are_evicted_and_busy_ones_are_kept()
    {
        var limiter = new KeyRateLimiter();
        for (var i = 0; i < 100_000; i++)
            limiter.TryAcquire("key_" + i, Rpm(10), 0, T0);
        var busy = limiter.TryAcquire("key_busy", new KeyRateLimits(null, null, 1), 0, T0);
        Assert.Equal(100_001, limiter.TrackedKeys);

        Assert.Equal(0, limiter.Sweep(T0.AddSeconds(30)));
        // Traffic a minute later sweeps on its own: the idle keys go, the one with a request in flight stays.
        limiter.TryAcquire("key_late", Rpm(10), 0, T0.AddSeconds(61));
        Assert.Equal(2, limiter.TrackedKeys);
        Assert.False(limiter.TryAcquire("key_busy", new KeyRateLimits(null, null, 1), 0, T0.AddSeconds(61)).Allowed);

        limiter.Complete(busy.Permit!, 0, T0.AddSeconds(62));
        Assert.True(limiter.TryAcquire("key_busy", new KeyRateLimits(null, null, 1), 0, T0.AddSeconds(62)).Allowed);
    }

    [Fact]
    public void an_evicted_key_starts_again_with_an_empty_window()
    {
        var limiter = new KeyRateLimiter();
        Assert.True(limiter.TryAcquire(Key, Rpm(1), 0, T0).Allowed);
        Assert.Equal(1, limiter.Sweep(T0.AddSeconds(60)));

        Assert.True(limiter.TryAcquire(Key, Rpm(1), 0, T0.AddSeconds(60)).Allowed);
        Assert.False(limiter.TryAcquire(Key, Rpm(1), 0, T0.AddSeconds(61)).Allowed);
    }
}
