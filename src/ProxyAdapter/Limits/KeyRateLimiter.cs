using System.Collections.Concurrent;
using Governance.Domain.Access;
using Governance.Domain.Keys;

namespace ProxyAdapter.Limits;

/// <summary>
/// A key's per-minute and parallel limits, enforced in this adapter's memory. Pure and fast: no I/O, time comes in as
/// <c>now</c>, one short lock per key. The minute is a rolling window of <see cref="Slots"/> slots of
/// <see cref="SlotLength"/>: a request counts in the slot it started in and stops counting when that slot is a minute
/// old, so in any 55 s (the window less one slot) a key gets at most its limit, and never more than the limit counted
/// over the last 55–60 s. Keys without limits keep no state; keys idle for a minute with nothing in flight are evicted.
/// </summary>
public sealed class KeyRateLimiter
{
    public const int Slots = 12;
    public static readonly TimeSpan SlotLength = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan Window = SlotLength * Slots;
    public const string Reason = DenialReasons.RateLimited;

    private static readonly TimeSpan SweepEvery = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MinRetry = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, KeyWindow> _keys = new(StringComparer.Ordinal);
    private readonly double _share;
    private long _lastSweepTicks;
    private int _sweeping;

    /// <param name="share">
    /// The part of each limit this adapter enforces (Proxy:RateLimitShare): 1.0 when one adapter serves a key, 1/N to
    /// split a key's limits between N adapters. Rounded down, never below 1 for a non-zero limit.
    /// </param>
    public KeyRateLimiter(double share = 1.0)
    {
        if (!(share > 0 && share <= 1))
            throw new ArgumentOutOfRangeException(nameof(share), share, "Proxy:RateLimitShare must be greater than 0 and at most 1.");
        _share = share;
    }

    public static KeyRateLimiter FromConfiguration(IConfiguration configuration) =>
        new(configuration.GetValue<double?>("Proxy:RateLimitShare") ?? 1.0);

    public double Share => _share;

    /// <summary>Keys with state in memory now (the rest have no limits, or were idle long enough to be evicted).</summary>
    public int TrackedKeys => _keys.Count;

    /// <summary>
    /// Counts one request and its estimated tokens against the key's limits, or refuses it without counting anything.
    /// Every permit must be given back to <see cref="Complete"/> exactly once (in a finally): it holds a parallel slot.
    /// </summary>
    public RateLimitDecision TryAcquire(string keyId, KeyRateLimits limits, long estimatedTokens, DateTimeOffset now)
    {
        estimatedTokens = Math.Max(0, estimatedTokens);
        var rpm = Scaled(limits.RequestsPerMinute);
        var tpm = Scaled(limits.TokensPerMinute);
        var parallel = Scaled(limits.MaxParallel);
        if (rpm is null && tpm is null && parallel is null)
            return RateLimitDecision.Allow(RateLimitPermit.Untracked(keyId));

        MaybeSweep(now);
        var slot = SlotOf(now);
        while (true)
        {
            var window = _keys.GetOrAdd(keyId, static _ => new KeyWindow());
            lock (window)
            {
                // Lost a race with the sweeper: this window is gone from the map, take (or make) the current one.
                if (window.Evicted)
                    continue;
                window.Advance(slot);
                window.LastUsed = now;
                if (parallel is { } maxParallel && window.InFlight >= maxParallel)
                    return RateLimitDecision.Deny(RateLimitDecision.MaxParallel, MinRetry);
                if (rpm is { } maxRequests && window.Requests() + 1 > maxRequests)
                    return RateLimitDecision.Deny(RateLimitDecision.RequestsPerMinute, window.RetryAfter(w => w.RequestCount, window.Requests() + 1 - maxRequests, maxRequests, 1, now));
                if (tpm is { } maxTokens && window.Tokens() + estimatedTokens > maxTokens)
                    return RateLimitDecision.Deny(RateLimitDecision.TokensPerMinute,
                        window.RetryAfter(w => w.TokenCount, window.Tokens() + estimatedTokens - maxTokens, maxTokens, estimatedTokens, now));

                window.Add(slot, 1, estimatedTokens);
                var holdsSlot = parallel is not null;
                if (holdsSlot)
                    window.InFlight++;
                return RateLimitDecision.Allow(new RateLimitPermit(keyId, slot, estimatedTokens, holdsSlot, window));
            }
        }
    }

    /// <summary>
    /// The request is over: its token count becomes <paramref name="actualTokens"/> (in the slot it started in, while
    /// that slot is in the window; more tokens than estimated land in the current slot otherwise) and its parallel slot is
    /// released. A second call with the same permit does nothing.
    /// </summary>
    public void Complete(RateLimitPermit permit, long actualTokens, DateTimeOffset now)
    {
        if (!permit.TryComplete())
            return;
        permit.Fleet?.Complete(actualTokens, now);
        if (permit.Window is not { } window)
            return;
        var delta = Math.Max(0, actualTokens) - permit.EstimatedTokens;
        lock (window)
        {
            window.Advance(SlotOf(now));
            window.LastUsed = now;
            if (permit.HoldsParallelSlot)
                window.InFlight--;
            if (delta != 0)
                window.Correct(permit.Slot, delta);
        }
    }

    /// <summary>
    /// Takes back a permit as if it had never been given (the fleet's allowance refused the call after this adapter's
    /// own window admitted it): the request, its tokens and its parallel slot no longer count.
    /// </summary>
    public void Cancel(RateLimitPermit permit)
    {
        if (!permit.TryComplete() || permit.Window is not { } window)
            return;
        lock (window)
        {
            if (permit.HoldsParallelSlot)
                window.InFlight--;
            window.Uncount(permit.Slot, permit.EstimatedTokens);
        }
    }

    /// <summary>Evicts the keys idle for a whole window with nothing in flight. Runs by itself every few seconds of traffic.</summary>
    public int Sweep(DateTimeOffset now)
    {
        var evicted = 0;
        foreach (var (keyId, window) in _keys)
        {
            lock (window)
            {
                if (window.InFlight > 0 || now - window.LastUsed < Window)
                    continue;
                window.Evicted = true;
            }
            if (_keys.TryRemove(new KeyValuePair<string, KeyWindow>(keyId, window)))
                evicted++;
        }
        return evicted;
    }

    private void MaybeSweep(DateTimeOffset now)
    {
        var last = Interlocked.Read(ref _lastSweepTicks);
        if (now.UtcTicks - last < SweepEvery.Ticks || Interlocked.CompareExchange(ref _sweeping, 1, 0) != 0)
            return;
        try
        {
            Interlocked.Exchange(ref _lastSweepTicks, now.UtcTicks);
            Sweep(now);
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    private long? Scaled(long? limit) => limit switch
    {
        null => null,
        0 => 0,
        { } l => Math.Max(1, (long)Math.Floor(l * _share)),
    };

    private static long SlotOf(DateTimeOffset now) => now.UtcTicks / SlotLength.Ticks;

    /// <summary>One key's counts: a ring of the last <see cref="Slots"/> slots and the requests in flight. Guarded by its own lock.</summary>
    internal sealed class KeyWindow
    {
        public readonly int[] RequestCount = new int[Slots];
        public readonly long[] TokenCount = new long[Slots];
        public long Head = long.MinValue;
        // Running sums of the ring, so a decision reads two fields instead of adding up the slots.
        public long TotalRequests;
        public long TotalTokens;
        public int InFlight;
        public DateTimeOffset LastUsed;
        public bool Evicted;

        /// <summary>Moves the window's head to <paramref name="slot"/>, clearing the slots that left the window.</summary>
        public void Advance(long slot)
        {
            if (slot <= Head)
                return;
            var cleared = Head == long.MinValue ? Slots : (int)Math.Min(Slots, slot - Head);
            for (var i = 0; i < cleared; i++)
            {
                var index = Index(slot - i);
                TotalRequests -= RequestCount[index];
                TotalTokens -= TokenCount[index];
                RequestCount[index] = 0;
                TokenCount[index] = 0;
            }
            Head = slot;
        }

        public long Requests() => TotalRequests;

        public long Tokens() => TotalTokens;

        public void Add(long slot, int requests, long tokens)
        {
            RequestCount[Index(slot)] += requests;
            TokenCount[Index(slot)] += tokens;
            TotalRequests += requests;
            TotalTokens += tokens;
        }

        public void Uncount(long slot, long tokens)
        {
            if (slot <= Head - Slots || slot > Head)
                return;
            var index = Index(slot);
            var requests = Math.Min(1, RequestCount[index]);
            RequestCount[index] -= requests;
            TotalRequests -= requests;
            var removed = Math.Min(tokens, TokenCount[index]);
            TokenCount[index] -= removed;
            TotalTokens -= removed;
        }

        public void Correct(long slot, long delta)
        {
            var index = slot > Head - Slots ? Index(slot) : delta > 0 ? Index(Head) : -1;
            if (index < 0)
                return;
            var corrected = Math.Max(0, TokenCount[index] + delta);
            TotalTokens += corrected - TokenCount[index];
            TokenCount[index] = corrected;
        }

        /// <summary>
        /// How long until enough of the oldest slots leave the window to free <paramref name="excess"/>. A request larger
        /// than the whole limit never fits: it is told to retry after a full window.
        /// </summary>
        public TimeSpan RetryAfter<T>(Func<KeyWindow, T[]> counts, long excess, long limit, long cost, DateTimeOffset now)
            where T : struct, IConvertible
        {
            if (cost > limit)
                return Window;
            var values = counts(this);
            long freed = 0;
            for (var slot = Head - Slots + 1; slot <= Head; slot++)
            {
                freed += values[Index(slot)].ToInt64(null);
                if (freed >= excess)
                {
                    var leaves = new DateTimeOffset((slot + Slots) * SlotLength.Ticks, TimeSpan.Zero);
                    var wait = leaves - now;
                    return wait < MinRetry ? MinRetry : TimeSpan.FromSeconds(Math.Ceiling(wait.TotalSeconds));
                }
            }
            return Window;
        }

        private static int Index(long slot) => (int)(((slot % Slots) + Slots) % Slots);
    }
}

/// <summary>What <see cref="KeyRateLimiter.TryAcquire"/> counted; give it back to <see cref="KeyRateLimiter.Complete"/>.</summary>
public sealed class RateLimitPermit
{
    private int _completed;

    internal RateLimitPermit(string keyId, long slot, long estimatedTokens, bool holdsParallelSlot, KeyRateLimiter.KeyWindow? window)
    {
        KeyId = keyId;
        Slot = slot;
        EstimatedTokens = estimatedTokens;
        HoldsParallelSlot = holdsParallelSlot;
        Window = window;
    }

    internal static RateLimitPermit Untracked(string keyId) => new(keyId, 0, 0, false, null);

    public string KeyId { get; }
    public long EstimatedTokens { get; }
    public bool HoldsParallelSlot { get; }
    internal long Slot { get; }
    internal KeyRateLimiter.KeyWindow? Window { get; }

    /// <summary>The call's part of its key's fleet-wide allowance, completed with this permit.</summary>
    internal FleetPermit? Fleet { get; set; }

    internal bool TryComplete() => Interlocked.Exchange(ref _completed, 1) == 0;
}

/// <summary>A permit, or a refusal naming the limit that was reached and when to retry (the Retry-After header).</summary>
public readonly record struct RateLimitDecision(RateLimitPermit? Permit, string? Limit, TimeSpan RetryAfter)
{
    public const string RequestsPerMinute = "requests_per_minute";
    public const string TokensPerMinute = "tokens_per_minute";
    public const string MaxParallel = "max_parallel";

    public bool Allowed => Permit is not null;

    /// <summary>The denial reason the proxy answers with (429, <c>code: rate_limited</c>).</summary>
    public string? Reason => Allowed ? null : KeyRateLimiter.Reason;

    /// <summary>Whole seconds, at least 1: the value of the Retry-After header.</summary>
    public int RetryAfterSeconds => (int)Math.Max(1, Math.Ceiling(RetryAfter.TotalSeconds));

    internal static RateLimitDecision Allow(RateLimitPermit permit) => new(permit, null, TimeSpan.Zero);

    internal static RateLimitDecision Deny(string limit, TimeSpan retryAfter) => new(null, limit, retryAfter);
}
