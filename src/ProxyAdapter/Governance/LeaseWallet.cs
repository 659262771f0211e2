using System.Collections.Concurrent;
using Governance.Contracts.Feed;
using Governance.Contracts.Leases;
using Governance.Contracts.Usage;
using Governance.Domain.Access;
using Governance.Domain.Budgets;

namespace ProxyAdapter.Governance;

/// <summary>
/// The adapter's budget leases (docs/leases-and-feed.md): admits a request when, at every level it must fit, a slice
/// has its worst case uncommitted; leases the shortfall otherwise (one ask per key at a time); settles acknowledged
/// usage; renews in the background; answers recalls and returns what is unused on shutdown. All money moves under one
/// lock, so concurrent requests never admit more than a slice holds.
/// </summary>
public sealed class LeaseWallet : IDisposable
{
    private const string TooManyLeases = "too_many_leases";
    private readonly object _gate = new();
    private readonly List<Slice> _slices = [];
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _asking = new();
    private readonly ConcurrentDictionary<string, LeasedAdmission> _pending = new();
    // The last budget_exceeded answer per key, with when it came (wall clock) and the need it was for: requests that
    // queued behind that ask share its answer instead of asking again one by one.
    private readonly ConcurrentDictionary<string, (long At, decimal Need, BudgetStanding Shortfall)> _exhausted = new();
    private readonly GovernanceClient _api;
    private readonly AdapterIdentity _adapter;
    private readonly AdapterOptions _options;
    private readonly AdapterState _state;
    private readonly TimeProvider _clock;
    private readonly ILogger<LeaseWallet> _log;
    private ITimer? _renewals;
    private Task? _returningAll;

    public LeaseWallet(GovernanceClient api, AdapterIdentity adapter, AdapterOptions options, AdapterState state, TimeProvider clock, ILogger<LeaseWallet> log)
    {
        (_api, _adapter, _options, _state, _clock, _log) = (api, adapter, options, state, clock, log);
        state.Recalled += OnRecalled;
    }

    /// <summary>What slices hold in all, per lease id (tests and diagnostics).</summary>
    public IReadOnlyDictionary<string, (decimal Remaining, decimal InFlight)> Holdings()
    {
        lock (_gate)
            return _slices.ToDictionary(s => s.LeaseId, s => (s.Remaining, s.InFlight));
    }

    /// <summary>
    /// The leases held now per scope kind (key, app, team, grant; every kind, zero when none) and their uncommitted
    /// headroom: what new requests may still be admitted against. For the lease gauges: one short lock, no I/O.
    /// </summary>
    public IReadOnlyList<Observability.LeaseReading> Readings()
    {
        lock (_gate)
            return Enum.GetValues<BudgetLevel>()
                .Select(level => new Observability.LeaseReading(level.ToString().ToLowerInvariant(),
                    _slices.Count(s => s.Level == level), _slices.Where(s => s.Level == level).Sum(s => s.Available)))
                .ToList();
    }

    internal async Task<WalletOutcome> AdmitAsync(
        string admissionId, string keyId, string? model, IReadOnlyList<(BudgetLevel Level, string Owner)> levels, decimal worstCase, CancellationToken ct)
    {
        // A negative worst case would make room in the slices instead of taking it (issue 16): the gateway's holds are never
        // negative (HoldSizing), and the wallet refuses to count one all the same.
        ArgumentOutOfRangeException.ThrowIfNegative(worstCase);
        if (levels.Count == 0)
            return WalletOutcome.Admitted([]);
        // Wall clock: the API's retry-after and the network run on it, whatever clock decisions use.
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (System.Diagnostics.Stopwatch.GetElapsedTime(started) < _options.LeaseWait)
        {
            if (TryAdmit(admissionId, levels, worstCase, out _, out var topUp) is { } admitted)
            {
                if (topUp > 0m)
                    TopUpAhead(keyId, model, worstCase, topUp);
                return admitted;
            }
            var asking = Asking(keyId);
            var queued = System.Diagnostics.Stopwatch.GetTimestamp();
            await asking.WaitAsync(ct);
            try
            {
                // Another request of this key may have leased while this one waited.
                if (TryAdmit(admissionId, levels, worstCase, out var need, out _) is { } meanwhile)
                    return meanwhile;
                if (_exhausted.TryGetValue(keyId, out var exhausted) && exhausted.At > queued && need >= exhausted.Need)
                    return WalletOutcome.OverBudget(exhausted.Shortfall);
                LeaseResult answer;
                try
                {
                    answer = await _api.RequestLeaseAsync(_adapter.Id, keyId, model, need, ct);
                }
                catch (Exception e) when (!ct.IsCancellationRequested && e is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException)
                {
                    _log.LogWarning("Could not lease budget for key {KeyId}: {Error}", keyId, e.Message);
                    return WalletOutcome.Refused(DenialReasons.GovernanceUnavailable);
                }
                if (answer.Granted)
                {
                    // No slice: the API knows no budget for this key (our copy lags); nothing to hold.
                    if (answer.Slices.Count == 0)
                        return WalletOutcome.Admitted([]);
                    Merge(answer.Slices);
                    // The API's levels are authoritative for this request: they are the ones its usage will draw on.
                    levels = answer.Slices.Select(s => (Enum.Parse<BudgetLevel>(s.Level, ignoreCase: true), s.Owner)).ToList();
                    continue;
                }
                if (answer.Reason == "retry")
                {
                    await Task.Delay(Math.Max(1, answer.RetryAfterMs ?? 50), ct);
                    continue;
                }
                if (answer is { Reason: DenialReasons.BudgetExceeded, Shortfall: { } s })
                {
                    var shortfall = Standing(s);
                    _exhausted[keyId] = (System.Diagnostics.Stopwatch.GetTimestamp(), need, shortfall);
                    return WalletOutcome.OverBudget(shortfall);
                }
                if (answer.Reason == TooManyLeases)
                {
                    _log.LogError("The governance API refuses this adapter more leases (Leases__MaxOpenPerAdapter); key {KeyId} is refused until some expire", keyId);
                    return WalletOutcome.Refused(DenialReasons.GovernanceUnavailable);
                }
                return WalletOutcome.Refused(answer.Reason ?? DenialReasons.GovernanceUnavailable);
            }
            finally
            {
                asking.Release();
            }
        }
        _log.LogWarning("Gave up waiting for a lease for key {KeyId} after {Wait}", keyId, _options.LeaseWait);
        return WalletOutcome.Refused(DenialReasons.GovernanceUnavailable);
    }

    /// <summary>
    /// Admits against the slices when every level's covers <paramref name="worstCase"/>. <paramref name="topUp"/>: what
    /// to ask for ahead of need when one of them is then below its low-water mark, so the next requests would soon wait
    /// for a lease; 0 otherwise (<see cref="LowWater"/>).
    /// </summary>
    private WalletOutcome? TryAdmit(
        string admissionId, IReadOnlyList<(BudgetLevel Level, string Owner)> levels, decimal worstCase, out decimal need, out decimal topUp)
    {
        topUp = 0m;
        var now = _clock.GetUtcNow();
        lock (_gate)
        {
            var chosen = new List<Slice>(levels.Count);
            var least = decimal.MaxValue;
            foreach (var (level, owner) in levels)
            {
                var slice = _slices.Where(s => s.Level == level && s.Owner == owner && s.CoversAt(now)).MaxBy(s => s.Available);
                var available = slice?.Available ?? 0m;
                least = Math.Min(least, available);
                if (slice is not null && available >= worstCase)
                    chosen.Add(slice);
            }
            need = Math.Max(worstCase - least, 0.00000001m);
            if (chosen.Count < levels.Count)
                return null;
            foreach (var slice in chosen)
            {
                slice.InFlight += worstCase;
                slice.Used = true;
            }
            if (chosen.Any(s => s.Available < LowWater(s, worstCase)))
                topUp = AheadWant(chosen.Max(s => s.InFlight), worstCase);
            _pending[admissionId] = new LeasedAdmission(admissionId, worstCase, chosen);
            return WalletOutcome.Admitted(chosen);
        }
    }

    /// <summary>
    /// A slice is low when what it has uncommitted would not cover half an ask's worth of requests
    /// (<see cref="AdapterOptions.LeaseWantMultiplier"/>) plus half of what is in flight on it. What is in flight is this
    /// key's traffic over the time its usage takes to be acknowledged (a shipping batch, or an upstream call): a busy
    /// key's top-up therefore starts while the slice still covers the requests that arrive during the lease call.
    /// </summary>
    private decimal LowWater(Slice slice, decimal worstCase) => worstCase * _options.LeaseWantMultiplier / 2 + slice.InFlight / 2;

    /// <summary>
    /// What a top-up ahead of need asks for: an ask's worth, plus twice what is in flight, so one lease call covers about
    /// two acknowledgement periods of the key's current traffic instead of a fixed number of requests. The API's fair
    /// share and near-exhaustion rules still cap what it grants.
    /// </summary>
    private decimal AheadWant(decimal inFlight, decimal worstCase) => worstCase * _options.LeaseWantMultiplier + 2 * inFlight;

    /// <summary>
    /// Tops the key's leases up in the background while they still cover the requests that arrive meanwhile, so requests
    /// seldom wait for a lease call. Skipped while another ask for the key is on its way. Only free headroom is taken (no
    /// recall): a top-up must not make another adapter give back what it may be about to use.
    /// </summary>
    private void TopUpAhead(string keyId, string? model, decimal worstCase, decimal want)
    {
        var asking = Asking(keyId);
        if (!asking.Wait(0))
            return;
        _ = Task.Run(async () =>
        {
            try
            {
                var answer = await _api.RequestLeaseAsync(_adapter.Id, keyId, model, worstCase, CancellationToken.None, ahead: true, want: want);
                if (answer is { Granted: true, Slices.Count: > 0 })
                    Merge(answer.Slices);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException)
            {
                // A request that needs the lease asks again itself.
                _log.LogDebug("Could not top up the leases of key {KeyId} ahead of need: {Error}", keyId, e.Message);
            }
            finally
            {
                asking.Release();
            }
        });
    }

    /// <summary>One lease ask per key at a time: requests that need one and background top-ups take turns.</summary>
    private SemaphoreSlim Asking(string keyId) => _asking.GetOrAdd(keyId, _ => new SemaphoreSlim(1, 1));

    /// <summary>The leases an admission drew on, moved from its admission id to the request it became (for settlement).</summary>
    internal IReadOnlyList<string> Bind(string admissionId, string requestId)
    {
        if (!_pending.TryRemove(admissionId, out var admission))
            return [];
        _pending[requestId] = admission;
        return admission.LeaseIds;
    }

    /// <summary>The API acknowledged usage: its cost leaves the slices, its worst case is no longer in flight.</summary>
    public void Settle(IReadOnlyList<(UsageReport Report, UsageOutcome Outcome)> acknowledged)
    {
        foreach (var (report, outcome) in acknowledged)
        {
            if (!_pending.TryRemove(report.RequestId, out var admission))
                continue;
            lock (_gate)
                foreach (var slice in admission.Slices)
                {
                    // The ledger never prices a credit; were it to, the slice would not grow from it.
                    slice.Remaining -= Math.Max(0m, outcome.Cost);
                    slice.InFlight -= admission.WorstCase;
                }
        }
    }

    private void Merge(IReadOnlyList<LeaseSliceView> granted)
    {
        lock (_gate)
        {
            foreach (var g in granted)
            {
                var slice = _slices.FirstOrDefault(s => s.LeaseId == g.LeaseId);
                // A lease new to this process (or one it held before a restart) starts from the API's count of its grants.
                if (slice is null)
                    _slices.Add(slice = new Slice(g.LeaseId, Enum.Parse<BudgetLevel>(g.Level, ignoreCase: true), g.Owner, g.WindowStart, g.WindowEnd)
                    {
                        Remaining = g.Amount, Grants = g.Grants,
                    });
                else
                    slice.Add(g.Amount);
                slice.ExpiresAt = g.ExpiresAt;
            }
            _renewals ??= _clock.CreateTimer(_ => _ = RenewAsync(), null, _options.RenewEvery, Timeout.InfiniteTimeSpan);
        }
    }

    private BudgetStanding Standing(LeaseShortfall s)
    {
        var level = Enum.Parse<BudgetLevel>(s.Level, ignoreCase: true);
        var period = _state.BudgetPeriod(level, s.Owner) ?? BudgetPeriod.Lifetime;
        return new BudgetStanding(level, s.Owner, s.Limit, s.Settled, s.Held, Window.For(period, _clock.GetUtcNow())) { Leased = s.Leased };
    }

    /// <summary>
    /// Renews the leases that expire within two periods and are in use; one nothing was admitted against since its last
    /// renewal, with nothing in flight, gives back what it holds and is left to expire. So the adapter holds leases for the
    /// keys it serves now, not for every key it ever served (the API caps open leases per adapter).
    /// </summary>
    private async Task RenewAsync()
    {
        try
        {
            List<Slice> due;
            List<string> idle;
            var now = _clock.GetUtcNow();
            lock (_gate)
            {
                _slices.RemoveAll(s => s.ExpiresAt <= now && s.InFlight <= 0m);
                var expiring = _slices.Where(s => s.ExpiresAt > now && s.ExpiresAt - now <= 2 * _options.RenewEvery).ToList();
                idle = expiring.Where(s => !s.Used && s.InFlight <= 0m).Select(s => s.LeaseId).ToList();
                due = expiring.Where(s => s.Used || s.InFlight > 0m).ToList();
                foreach (var slice in due)
                    slice.Used = false;
            }
            await Task.WhenAll(idle.Select(ReturnUnusedAsync));
            foreach (var slice in due)
            {
                var renewed = await _api.RenewAsync(slice.LeaseId, CancellationToken.None);
                lock (_gate)
                {
                    if (renewed is null)
                        slice.ExpiresAt = now;
                    else
                    {
                        slice.Add(renewed.Changed);
                        slice.ExpiresAt = renewed.ExpiresAt;
                    }
                }
            }
        }
        catch (Exception e)
        {
            _log.LogWarning("Could not renew leases: {Error}", e.Message);
        }
        finally
        {
            lock (_gate)
                _renewals?.Change(_options.RenewEvery, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnRecalled(FeedLeaseRecall recall)
    {
        if (recall.AdapterId == _adapter.Id)
            _ = ReturnUnusedAsync(recall.LeaseId);
    }

    /// <summary>Gives back what the lease holds uncommitted, taken out of the local slice first so nothing is admitted from it meanwhile.</summary>
    public async Task ReturnUnusedAsync(string leaseId)
    {
        Slice? slice;
        decimal unused;
        int? grants;
        lock (_gate)
        {
            slice = _slices.FirstOrDefault(s => s.LeaseId == leaseId);
            unused = slice?.Available ?? 0m;
            grants = slice?.Grants;
            if (slice is not null)
                slice.Remaining -= unused;
        }
        try
        {
            // A top-up this process has not merged yet makes the API count the return as partial: the lease stays recallable.
            var returned = await _api.ReturnAsync(leaseId, unused, grants, CancellationToken.None);
            if (returned is not null && slice is not null)
                lock (_gate)
                    slice.Remaining += unused - returned.Changed;
        }
        catch (Exception e)
        {
            // What was taken out stays out: the API may have applied the return, so it must not be admitted from again.
            _log.LogWarning("Could not return lease {LeaseId}: {Error}", leaseId, e.Message);
        }
    }

    /// <summary>
    /// Shutdown: every open lease gives back its unused part. A host may stop its services more than once (a test host's
    /// dispose does); a later call answers when the first call's returns are done, not at once because nothing is left
    /// to take out of the slices.
    /// </summary>
    public Task ReturnAllAsync()
    {
        lock (_gate)
            return _returningAll ??= ReturnOpenLeasesAsync();
    }

    private async Task ReturnOpenLeasesAsync()
    {
        List<string> open;
        var now = _clock.GetUtcNow();
        lock (_gate)
        {
            _renewals?.Dispose();
            _renewals = null;
            open = _slices.Where(s => s.ExpiresAt > now && s.Available > 0m).Select(s => s.LeaseId).ToList();
        }
        await Task.WhenAll(open.Select(ReturnUnusedAsync));
    }

    public void Dispose()
    {
        lock (_gate)
            _renewals?.Dispose();
    }
}
