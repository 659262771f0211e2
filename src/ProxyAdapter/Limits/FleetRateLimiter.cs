using System.Collections.Concurrent;
using Governance.Contracts.Leases;
using Governance.Domain.Keys;
using ProxyAdapter.Governance;

namespace ProxyAdapter.Limits;

/// <summary>
/// A key's rate limits for the whole fleet of adapters (docs/gateway.md, "Rate limits"): the adapter takes part of the
/// current 5 s slot's allowance from the governance API (<c>POST /api/rate-leases</c>), admits calls from memory while it
/// lasts, and hands back what it did not use with its next ask. Parallel slots are held the same way, given back as calls
/// end. Calls to the API are one at a time per key; a call that finds what it needs in memory waits for nothing.
/// Fails closed: an API that does not answer refuses the call (<c>governance_unavailable</c>).
/// </summary>
public sealed class FleetRateLimiter(GovernanceClient client, AdapterIdentity adapter, ILogger<FleetRateLimiter> log, bool enabled = true)
{
    /// <summary>An ask wants this many requests, or this many times the call's token estimate, when it needs any.</summary>
    public const int WantMultiplier = 10;

    private const int Attempts = 3;
    private readonly ConcurrentDictionary<string, FleetKey> _keys = new(StringComparer.Ordinal);

    public static FleetRateLimiter From(IServiceProvider services, IConfiguration configuration) =>
        new(services.GetRequiredService<GovernanceClient>(), services.GetRequiredService<AdapterIdentity>(),
            services.GetRequiredService<ILogger<FleetRateLimiter>>(), configuration.GetValue("Proxy:SharedRateLimits", true));

    /// <summary>False with <c>Proxy:SharedRateLimits=false</c>: each adapter enforces the limits alone (<see cref="KeyRateLimiter"/>).</summary>
    public bool Enabled => enabled;

    /// <summary>Keys this adapter keeps fleet state for.</summary>
    public int TrackedKeys => _keys.Count;

    public async Task<FleetDecision> AcquireAsync(string keyId, KeyRateLimits limits, long estimatedTokens, DateTimeOffset now, CancellationToken ct)
    {
        if (!enabled || limits.IsUnlimited)
            return new FleetDecision(null, null, TimeSpan.Zero, false);
        var key = _keys.GetOrAdd(keyId, static (id, owner) => new FleetKey(id, owner), this);
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            if (key.TryTake(limits, estimatedTokens, now) is { } taken)
                return new FleetDecision(taken, null, TimeSpan.Zero, false);
            await key.Asking.WaitAsync(ct);
            try
            {
                // Another call's ask may have brought enough while this one waited.
                if (key.TryTake(limits, estimatedTokens, now) is { } meanwhile)
                    return new FleetDecision(meanwhile, null, TimeSpan.Zero, false);
                var ask = key.Ask(limits, estimatedTokens, now);
                RateLeaseAnswer answer;
                try
                {
                    answer = await client.RateLeaseAsync(adapter.Id, keyId, ask, ct);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
                {
                    log.LogWarning(e, "Could not ask the governance API for key {KeyId}'s rate allowance", keyId);
                    return new FleetDecision(null, null, TimeSpan.Zero, true);
                }
                if (!answer.Granted)
                    return new FleetDecision(null, answer.Limit, TimeSpan.FromMilliseconds(answer.RetryAfterMs), answer.Limit == RateLeaseAnswer.UnknownKey);
                if (key.ApplyAndTake(answer, limits, estimatedTokens, now) is { } granted)
                    return new FleetDecision(granted, null, TimeSpan.Zero, false);
            }
            finally
            {
                key.Asking.Release();
            }
        }
        // Only when the slot turned over while asking, every time: the next call will find the new slot.
        return new FleetDecision(null, RateGrant.RequestsPerMinute, TimeSpan.FromSeconds(1), false);
    }

    /// <summary>
    /// Renews this adapter's parallel holds (so calls longer than <c>RateLeases__ParallelTtlSeconds</c> keep theirs) and
    /// forgets keys with nothing held or in flight whose slot is over.
    /// </summary>
    public async Task RenewAsync(DateTimeOffset now, CancellationToken ct)
    {
        foreach (var (keyId, key) in _keys)
        {
            if (key.Idle(now))
            {
                _keys.TryRemove(new KeyValuePair<string, FleetKey>(keyId, key));
                continue;
            }
            if (key.HoldsParallel)
                await SyncAsync(key, ct);
        }
    }

    /// <summary>Gives back the parallel slots the key's calls no longer use (called when a call ends).</summary>
    internal void Released(FleetKey key) => _ = SyncAsync(key, CancellationToken.None);

    private async Task SyncAsync(FleetKey key, CancellationToken ct)
    {
        await key.Asking.WaitAsync(ct);
        try
        {
            var ask = key.SyncAsk();
            await client.RateLeaseAsync(adapter.Id, key.KeyId, ask, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // What the API still counts for this adapter is more than it uses: others wait until the next sync or the TTL.
            log.LogWarning(e, "Could not give back key {KeyId}'s parallel slots", key.KeyId);
        }
        finally
        {
            key.Asking.Release();
        }
    }

    /// <summary>One key's part of the fleet's allowance in this adapter. Guarded by its own lock; API calls by <see cref="Asking"/>.</summary>
    internal sealed class FleetKey(string keyId, FleetRateLimiter owner)
    {
        public string KeyId { get; } = keyId;
        public FleetRateLimiter Owner { get; } = owner;
        public SemaphoreSlim Asking { get; } = new(1, 1);
        private long _slot = -1;
        private DateTimeOffset _slotEnd;
        private long _requests;
        private long _tokens;
        private int _inFlight;
        // Never more than the API counts for this adapter: raised only by its answers, lowered before the API hears of it.
        private int _held;
        private RateLeaseReturn? _unused;

        public bool HoldsParallel
        {
            get { lock (this) return _held > 0; }
        }

        public bool Idle(DateTimeOffset now)
        {
            lock (this)
                return _inFlight == 0 && _held == 0 && (_slot < 0 || now >= _slotEnd + RateAllowance.SlotLength * RateAllowance.Slots);
        }

        public FleetPermit? TryTake(KeyRateLimits limits, long estimatedTokens, DateTimeOffset now)
        {
            lock (this)
            {
                Roll(now);
                if ((limits.RequestsPerMinute is not null && _requests < 1)
                    || (limits.TokensPerMinute is not null && _tokens < estimatedTokens)
                    || (limits.MaxParallel is not null && _inFlight >= _held))
                    return null;
                if (limits.RequestsPerMinute is not null)
                    _requests--;
                var tokens = limits.TokensPerMinute is not null ? estimatedTokens : 0;
                _tokens -= tokens;
                var holdsSlot = limits.MaxParallel is not null;
                if (holdsSlot)
                    _inFlight++;
                return new FleetPermit(this, _slot, tokens, holdsSlot);
            }
        }

        public FleetAsk Ask(KeyRateLimits limits, long estimatedTokens, DateTimeOffset now)
        {
            lock (this)
            {
                Roll(now);
                var requests = limits.RequestsPerMinute is not null && _requests < 1 ? 1 : 0;
                var tokens = limits.TokensPerMinute is not null ? Math.Max(0, estimatedTokens - _tokens) : 0;
                var wantTokens = tokens == 0 ? 0 : Math.Min(KeyRateLimits.MaxTokensPerMinute, Math.Max(tokens, estimatedTokens * WantMultiplier));
                var parallel = limits.MaxParallel is null ? 0 : _inFlight >= _held ? _inFlight + 1 : _held;
                var unused = _unused;
                _unused = null;
                return new FleetAsk(requests, requests == 0 ? 0 : WantMultiplier, tokens, wantTokens, parallel, unused);
            }
        }

        /// <summary>A release or renewal: hold what is in flight, ask for nothing.</summary>
        public FleetAsk SyncAsk()
        {
            lock (this)
            {
                _held = Math.Min(_held, _inFlight);
                var unused = _unused;
                _unused = null;
                return new FleetAsk(0, 0, 0, 0, _held, unused);
            }
        }

        public FleetPermit? ApplyAndTake(RateLeaseAnswer answer, KeyRateLimits limits, long estimatedTokens, DateTimeOffset now)
        {
            lock (this)
            {
                if (answer.Slot != _slot)
                {
                    KeepUnused();
                    (_slot, _slotEnd, _requests, _tokens) = (answer.Slot, answer.SlotEnd, 0, 0);
                }
                _requests += answer.Requests;
                _tokens += answer.Tokens;
                if (limits.MaxParallel is not null)
                    _held = answer.Parallel;
            }
            return TryTake(limits, estimatedTokens, now);
        }

        /// <summary>The call is over: its parallel slot is free, and tokens it did not use go back to the slot it was counted in.</summary>
        public bool Complete(FleetPermit permit, long actualTokens, DateTimeOffset now)
        {
            lock (this)
            {
                if (permit.Tokens > 0 && permit.Slot == _slot && now < _slotEnd)
                    _tokens = Math.Max(0, _tokens + permit.Tokens - Math.Max(0, actualTokens));
                if (!permit.HoldsSlot)
                    return false;
                _inFlight--;
                if (_held <= _inFlight)
                    return false;
                _held = _inFlight;
                return true;
            }
        }

        private void Roll(DateTimeOffset now)
        {
            if (_slot < 0 || now < _slotEnd)
                return;
            KeepUnused();
            (_slot, _requests, _tokens) = (-1, 0, 0);
        }

        private void KeepUnused()
        {
            if (_slot >= 0 && (_requests > 0 || _tokens > 0))
                _unused = new RateLeaseReturn(_slot, Math.Max(0, _requests), Math.Max(0, _tokens));
        }
    }
}

/// <summary>What an ask sends: the need and want of requests and tokens, the parallel slots to hold, the unused part of an earlier slot.</summary>
public sealed record FleetAsk(long Requests, long WantRequests, long Tokens, long WantTokens, int Parallel, RateLeaseReturn? Unused);

/// <summary>A permit, or the fleet limit reached (<see cref="Limit"/>, with when to retry), or <see cref="Unavailable"/>.</summary>
public sealed record FleetDecision(FleetPermit? Permit, string? Limit, TimeSpan RetryAfter, bool Unavailable);

/// <summary>What a call took of its key's fleet allowance; completed once, with the call's local permit.</summary>
public sealed class FleetPermit
{
    private readonly FleetRateLimiter.FleetKey _key;

    internal FleetPermit(FleetRateLimiter.FleetKey key, long slot, long tokens, bool holdsSlot) =>
        (_key, Slot, Tokens, HoldsSlot) = (key, slot, tokens, holdsSlot);

    internal long Slot { get; }
    internal long Tokens { get; }
    internal bool HoldsSlot { get; }
    internal void Complete(long actualTokens, DateTimeOffset now)
    {
        if (_key.Complete(this, actualTokens, now))
            _key.Owner.Released(_key);
    }
}
