namespace Governance.Domain.Keys;

/// <summary>What one adapter asks of a key's fleet-wide rate allowance (docs/gateway.md, "Rate limits").</summary>
/// <param name="Requests">Requests it must get now to admit its next call (0 or 1); <paramref name="WantRequests"/> what it would like.</param>
/// <param name="Tokens">Tokens it must get now (the call's estimate less what it still holds); <paramref name="WantTokens"/> what it would like.</param>
/// <param name="Parallel">The parallel slots it wants to hold from now on (its calls in flight, plus one to admit another).</param>
public sealed record RateAsk(string AdapterId, long Requests, long WantRequests, long Tokens, long WantTokens, int Parallel);

/// <summary>What one adapter was granted of a key's allowance in one slot.</summary>
public sealed record SlotGrant(long Slot, string AdapterId, long Requests, long Tokens);

/// <summary>The parallel slots one adapter holds for a key (until its hold expires).</summary>
public sealed record ParallelHold(string AdapterId, int Slots);

/// <summary>
/// The answer: all of it or nothing. When granted, <see cref="Requests"/> and <see cref="Tokens"/> are added to the
/// adapter's share of the slot and <see cref="Parallel"/> is what it holds now; when not, <see cref="Limit"/> names the
/// limit reached and <see cref="RetryAfter"/> when enough of the minute frees up.
/// </summary>
public sealed record RateGrant(bool Granted, string? Limit, long Requests, long Tokens, int Parallel, TimeSpan RetryAfter)
{
    public const string RequestsPerMinute = "requests_per_minute";
    public const string TokensPerMinute = "tokens_per_minute";
    public const string MaxParallel = "max_parallel";
}

/// <summary>
/// A key's requests/min, tokens/min and parallel limits shared by every adapter that serves it. The minute is 12 slots of
/// 5 s, as in each adapter's own window: an adapter is granted part of the current slot's allowance, which is the limit
/// less every grant (to any adapter) of the last 12 slots, and admits calls from memory while its part lasts. So over
/// any 12 consecutive slots the fleet admits at most the limit. Parallel slots are held per adapter; the sum of the
/// unexpired holds never exceeds <c>maxParallel</c>. Sizing follows the budget leases: a fair share of what is free,
/// never less than the need, exactly the need near exhaustion. Pure: the caller loads the books under the key's lock.
/// </summary>
public static class RateAllowance
{
    public const int Slots = 12;
    public static readonly TimeSpan SlotLength = TimeSpan.FromSeconds(5);
    public const int NearExhaustionMultiplier = 4;
    private static readonly TimeSpan ParallelRetry = TimeSpan.FromSeconds(1);

    public static long SlotOf(DateTimeOffset now) => now.UtcTicks / SlotLength.Ticks;

    public static DateTimeOffset StartOf(long slot) => new(slot * SlotLength.Ticks, TimeSpan.Zero);

    public static DateTimeOffset EndOf(long slot) => StartOf(slot + 1);

    /// <summary>The oldest slot whose grants still count in <paramref name="slot"/>'s minute.</summary>
    public static long OldestCounted(long slot) => slot - Slots + 1;

    public static RateGrant Decide(
        KeyRateLimits limits, RateAsk ask, IReadOnlyList<SlotGrant> grants, IReadOnlyList<ParallelHold> holds, long slot, DateTimeOffset now)
    {
        var counted = grants.Where(g => g.Slot >= OldestCounted(slot) && g.Slot <= slot).ToList();
        var own = holds.Where(h => h.AdapterId == ask.AdapterId).Sum(h => (long)h.Slots);
        var others = holds.Where(h => h.AdapterId != ask.AdapterId).Sum(h => (long)h.Slots);
        var sharing = counted.Select(g => g.AdapterId).Where(a => a != ask.AdapterId).Distinct().Count();

        var parallel = 0;
        if (limits.MaxParallel is { } max)
        {
            var target = Math.Max(0, ask.Parallel);
            if (target > own && checked(others + target) > max)
                return Denied(RateGrant.MaxParallel, (int)own, ParallelRetry);
            parallel = target;
        }

        long requests = 0, tokens = 0;
        if (limits.RequestsPerMinute is { } rpm && (ask.Requests > 0 || ask.WantRequests > 0))
        {
            var free = rpm - counted.Sum(g => g.Requests);
            if (free < ask.Requests)
                return Denied(RateGrant.RequestsPerMinute, (int)own, RetryAfter(counted, g => g.Requests, ask.Requests - free, ask.Requests > rpm, slot, now));
            requests = Size(ask.Requests, ask.WantRequests, free, sharing);
        }
        if (limits.TokensPerMinute is { } tpm && (ask.Tokens > 0 || ask.WantTokens > 0))
        {
            var free = tpm - counted.Sum(g => g.Tokens);
            if (free < ask.Tokens)
                return Denied(RateGrant.TokensPerMinute, (int)own, RetryAfter(counted, g => g.Tokens, ask.Tokens - free, ask.Tokens > tpm, slot, now));
            tokens = Size(ask.Tokens, ask.WantTokens, free, sharing);
        }
        return new RateGrant(true, null, requests, tokens, parallel, TimeSpan.Zero);
    }

    /// <summary>
    /// A fair share of what is free (split with the other adapters that took part of this minute), at least the need
    /// and at most the want; exactly the need when little is left, so no adapter parks the last of the minute.
    /// </summary>
    public static long Size(long need, long want, long free, int otherAdapters)
    {
        need = Math.Max(0, need);
        want = Math.Max(need, want);
        if (free <= 0)
            return 0;
        if (free < checked(need * NearExhaustionMultiplier))
            return Math.Min(need, free);
        return Math.Clamp(Math.Min(want, free / (otherAdapters + 1)), need, free);
    }

    /// <summary>
    /// When enough of the oldest slots leave the minute to free <paramref name="excess"/>; a need larger than the whole
    /// limit never fits (a full minute).
    /// </summary>
    private static TimeSpan RetryAfter(
        IReadOnlyList<SlotGrant> counted, Func<SlotGrant, long> amount, long excess, bool neverFits, long slot, DateTimeOffset now)
    {
        var minute = SlotLength * Slots;
        if (neverFits)
            return minute;
        long freed = 0;
        for (var s = OldestCounted(slot); s <= slot; s++)
        {
            freed += counted.Where(g => g.Slot == s).Sum(amount);
            if (freed >= excess)
            {
                var wait = StartOf(s + Slots) - now;
                return wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait;
            }
        }
        return minute;
    }

    private static RateGrant Denied(string limit, int parallel, TimeSpan retryAfter) => new(false, limit, 0, 0, parallel, retryAfter);
}
