using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace ProxyAdapter.Routing;

/// <summary>
/// What this adapter has measured of the deployments and provider accounts it calls, for the latency-based, least-busy
/// and usage-based strategies (docs/routing.md). In memory, per adapter, like <see cref="DeploymentHealth"/>: each adapter
/// ranks by what it saw itself, so N adapters need no shared state (a slow or busy deployment is slow or busy for all of
/// them, and each learns it from its own calls).
/// </summary>
public sealed class RouteSignals(TimeProvider clock)
{
    /// <summary>The weight of the newest time-to-first-byte sample in the moving average.</summary>
    public const double Alpha = 0.3;

    /// <summary>The longest an account is set aside after repeated 429s that named no Retry-After.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, double> _ttfbMs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<int>> _inFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AccountHeadroom> _accounts = new(StringComparer.Ordinal);

    /// <summary>The moving average of the deployment's time to first byte, ms; null until one call was timed here.</summary>
    public double? TimeToFirstByteMs(string deployment) => _ttfbMs.TryGetValue(deployment, out var ms) ? ms : null;

    public void FirstByte(string deployment, TimeSpan elapsed) =>
        _ttfbMs.AddOrUpdate(deployment, static (_, x) => x, static (_, old, x) => Alpha * x + (1 - Alpha) * old, elapsed.TotalMilliseconds);

    /// <summary>Calls from this adapter to the deployment that started and have not ended (a stream counts until it ends).</summary>
    public int InFlight(string deployment) => _inFlight.TryGetValue(deployment, out var count) ? Volatile.Read(ref count.Value) : 0;

    public void Started(string deployment) => Interlocked.Increment(ref _inFlight.GetOrAdd(deployment, static _ => new StrongBox<int>()).Value);

    public void Ended(string deployment)
    {
        if (_inFlight.TryGetValue(deployment, out var count))
            Interlocked.Decrement(ref count.Value);
    }

    /// <summary>The provider's rate-limit headers on an answer: the account's headroom until the reset they name.</summary>
    public void Observed(string provider, RateLimitReading reading) =>
        _accounts[provider] = new AccountHeadroom(reading.Fraction, reading.ResetAt, null, 0);

    /// <summary>
    /// A 429 from the provider: the account has no headroom until its Retry-After, or, when it names none (kinds without
    /// rate-limit headers), for a backoff that doubles with each 429 in a row (1 s, 2 s, 4 s … at most <see cref="MaxBackoff"/>).
    /// </summary>
    public void RateLimited(string provider, TimeSpan? retryAfter)
    {
        var now = clock.GetUtcNow();
        _accounts.AddOrUpdate(provider,
            _ => Backoff(null, retryAfter, now),
            (_, old) => Backoff(old, retryAfter, now));
    }

    /// <summary>An answer that was no 429 and carried no reading: the run of 429s is over.</summary>
    public void Answered(string provider)
    {
        if (_accounts.TryGetValue(provider, out var account) && account.Strikes > 0)
            _accounts.TryUpdate(provider, account with { Strikes = 0 }, account);
    }

    /// <summary>
    /// The share of the account's limit left now, 0 to 1: 0 while backing off after a 429, 1 once the reading's reset has
    /// passed or when nothing was read yet (an account not seen is assumed to have its whole limit).
    /// </summary>
    public Headroom HeadroomOf(string provider)
    {
        if (!_accounts.TryGetValue(provider, out var account))
            return new Headroom(1, HeadroomSource.Unknown);
        var now = clock.GetUtcNow();
        if (account.BackoffUntil is { } until && until > now)
            return new Headroom(0, HeadroomSource.BackingOff);
        if (account.ResetAt is { } reset && reset <= now)
            return new Headroom(1, HeadroomSource.Reset);
        return account.BackoffUntil is null ? new Headroom(account.Fraction, HeadroomSource.Headers) : new Headroom(1, HeadroomSource.Reset);
    }

    private static AccountHeadroom Backoff(AccountHeadroom? old, TimeSpan? retryAfter, DateTimeOffset now)
    {
        var strikes = (old?.Strikes ?? 0) + 1;
        var wait = retryAfter is { } stated && stated > TimeSpan.Zero
            ? (stated < MaxBackoff * 5 ? stated : MaxBackoff * 5)
            : TimeSpan.FromSeconds(Math.Min(Math.Pow(2, Math.Min(strikes - 1, 16)), MaxBackoff.TotalSeconds));
        return new AccountHeadroom(0, null, now + wait, strikes);
    }

    private sealed record AccountHeadroom(double Fraction, DateTimeOffset? ResetAt, DateTimeOffset? BackoffUntil, int Strikes);
}

public enum HeadroomSource { Unknown, Headers, Reset, BackingOff }

/// <summary>An account's headroom as a share of its limit (0 to 1), and what it rests on.</summary>
public readonly record struct Headroom(double Fraction, HeadroomSource Source);
