using Governance.Domain.Access;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;

namespace Governance.Domain.Budgets;

/// <summary>How leases are sized and how long they live, and how much one adapter may hold.</summary>
/// <param name="WantMultiplier">A request without <c>want</c> asks for this many times its <c>need</c>.</param>
/// <param name="NearExhaustionMultiplier">Below this many times <c>need</c> of free headroom, a lease is exactly <c>need</c>.</param>
/// <param name="MaxShare">
/// The share of a window's limit one adapter's lease is topped up to at most. A lease below it still gets one request's
/// <c>need</c> (which may take it past the share); a lease at or above it gets nothing more until usage draws on it. So one
/// adapter holds at most its share plus one request's worth, and the rest is left for the others.
/// </param>
/// <param name="MaxOpenLeases">How many open leases (one per budget window) one adapter may hold at once.</param>
public sealed record LeaseSizing(decimal WantMultiplier, decimal NearExhaustionMultiplier, TimeSpan Ttl, decimal MaxShare = 0.5m, int MaxOpenLeases = 10_000)
{
    public static readonly LeaseSizing Default = new(10m, 4m, TimeSpan.FromSeconds(60));
}

/// <summary>One budget level of a lease request: the budget and its current window, read under the window's lock.</summary>
public sealed record LeaseLevel(Budget Budget, BudgetWindowState Window);

/// <summary>An event for one window stream.</summary>
public sealed record WindowEvent(string Window, object Event);

/// <summary>
/// What one level of a granted request gives the adapter: <see cref="Added"/> now, <see cref="Remaining"/> in all;
/// <see cref="Grants"/>: how many times the lease has been given money, this time included.
/// </summary>
public sealed record LeaseSlice(
    string LeaseId, BudgetLevel Level, string Owner, Window Window, decimal Added, decimal Remaining, DateTimeOffset ExpiresAt, int Grants);

public enum LeaseVerdict
{
    Granted,
    /// <summary>
    /// Other adapters' leases were recalled, or the caller's own lease is full (<see cref="LeaseSizing.MaxShare"/>) until
    /// its usage draws on it: ask again later.
    /// </summary>
    Retry,
    Denied,
    /// <summary>The adapter already holds <see cref="LeaseSizing.MaxOpenLeases"/> open leases: it must let some go first.</summary>
    TooManyLeases,
}

/// <summary>
/// The answer to a lease request. <see cref="Shortfall"/> (when denied) is the first level, key first, whose free
/// headroom plus every other adapter's recallable remainder is below the need; <see cref="Free"/> is its free headroom.
/// </summary>
public sealed record LeaseDecision(
    LeaseVerdict Verdict, IReadOnlyList<WindowEvent> Events, IReadOnlyList<LeaseSlice> Slices, IReadOnlyList<string> Recalled,
    BudgetStanding? Shortfall);

/// <summary>
/// Pure lease rules. The window invariant becomes: settled + open holds + open leases' remaining ≤ limit. A lease is
/// carved out of the window's free headroom (limit − settled − held − leased) only, so it holds by construction; the
/// caller decides under the window locks (sorted), exactly as for holds.
/// </summary>
public static class LeaseDecider
{
    /// <summary>
    /// Why a key may not get leases (for this model, when one is named), or null. The grant a restricted model needs is
    /// <see cref="AccessDecision.WithGrant"/>'s (see <see cref="Standing"/>).
    /// </summary>
    public static string? Refusal(VirtualKey? key, string? model, ModelDefinition? definition, DateTimeOffset now) => key switch
    {
        null => DenialReasons.UnknownKey,
        { Status: KeyStatus.Revoked } => DenialReasons.Revoked,
        _ when key.IsExpiredAt(now) => DenialReasons.Expired,
        { Status: KeyStatus.Suspended } => DenialReasons.Suspended,
        _ when model is null => null,
        _ when definition is null => DenialReasons.UnknownModel,
        _ when !key.Allows(model) => DenialReasons.ModelNotAllowed,
        _ when definition.PriceAt(now) is null => DenialReasons.UnpricedModel,
        _ => null,
    };

    /// <summary><see cref="Refusal"/> as an access decision, so the grant rule (<see cref="AccessDecision.WithGrant"/>) applies to it.</summary>
    public static AccessDecision Standing(VirtualKey? key, string? model, ModelDefinition? definition, DateTimeOffset now) =>
        Refusal(key, model, definition, now) is { } refusal ? new AccessDecision(false, refusal, key?.Id, key?.App) : new AccessDecision(true, null, key!.Id, key.App);

    /// <summary>Headroom nobody holds: limit − settled − open holds − open leases.</summary>
    public static decimal Free(LeaseLevel level, DateTimeOffset now) => BudgetStanding.Of(level.Budget, level.Window, now).Remaining;

    /// <summary>
    /// A slice at every level, or none: all levels must be able to give <paramref name="need"/>. A level whose free
    /// headroom is short but whose other adapters' uncommitted leases would cover the need recalls those leases
    /// (<see cref="LeaseVerdict.Retry"/>); a level short even with them denies. An adapter holds at most one lease per
    /// window: asking again tops its lease up and extends it. Without <paramref name="recall"/> (an adapter topping up
    /// ahead of need) nothing is recalled: a level short of free headroom answers retry with nothing written.
    /// </summary>
    public static LeaseDecision Request(
        IReadOnlyList<LeaseLevel> levels, string adapterId, string keyId, decimal need, decimal? want, LeaseSizing sizing,
        string actor, DateTimeOffset now, Func<string> newLeaseId, bool recall = true, int openLeases = 0)
    {
        if (openLeases + NewLeases(levels, adapterId, now) > sizing.MaxOpenLeases)
            return new LeaseDecision(LeaseVerdict.TooManyLeases, [], [], [], null);
        var wanted = Math.Max(need, want ?? need * sizing.WantMultiplier);
        var ordered = levels.OrderBy(l => l.Budget.Level).ToList();
        var plans = ordered.Select(level => (Level: level, Plan: Plan(level, adapterId, need, wanted, sizing, now))).ToList();

        if (plans.FirstOrDefault(p => p.Plan.Verdict == LeaseVerdict.Denied) is { Level: not null } denied)
            return new LeaseDecision(LeaseVerdict.Denied, [], [], [], BudgetStanding.Of(denied.Level.Budget, denied.Level.Window, now));

        if (plans.Any(p => p.Plan.Verdict == LeaseVerdict.Retry))
        {
            if (!recall)
                return new LeaseDecision(LeaseVerdict.Retry, [], [], [], null);
            var recalls = plans.SelectMany(p => p.Plan.Recallable.Where(l => !l.Recalled).Select(l => new WindowEvent(p.Level.Window.Id,
                new LeaseRecalled(l.LeaseId, l.AdapterId, p.Level.Budget.Level, p.Level.Budget.Owner, adapterId, actor, now)))).ToList();
            return new LeaseDecision(LeaseVerdict.Retry, recalls, [],
                plans.SelectMany(p => p.Plan.Recallable.Select(l => l.LeaseId)).ToList(), null);
        }

        var events = new List<WindowEvent>();
        var slices = new List<LeaseSlice>();
        foreach (var (level, plan) in plans)
        {
            var own = OwnLease(level.Window, adapterId, now);
            var expiresAt = ExpiryOf(level.Window, now, sizing.Ttl, own?.ExpiresAt);
            var window = level.Budget.WindowAt(now);
            if (own is null)
            {
                var leaseId = newLeaseId();
                events.Add(new WindowEvent(level.Window.Id, new LeaseGranted(leaseId, adapterId, keyId, level.Budget.Level, level.Budget.Owner,
                    level.Window.Id, plan.Amount, need, expiresAt, actor, now)));
                slices.Add(new LeaseSlice(leaseId, level.Budget.Level, level.Budget.Owner, window, plan.Amount, plan.Amount, expiresAt, 1));
            }
            else
            {
                events.Add(new WindowEvent(level.Window.Id, new LeaseExtended(own.LeaseId, plan.Amount, need, expiresAt, actor, now)));
                slices.Add(new LeaseSlice(own.LeaseId, level.Budget.Level, level.Budget.Owner, window, plan.Amount, own.Remaining + plan.Amount, expiresAt, own.Grants + 1));
            }
        }
        return new LeaseDecision(LeaseVerdict.Granted, events, slices, [], null);
    }

    private sealed record LevelPlan(LeaseVerdict Verdict, decimal Amount, IReadOnlyList<OpenLease> Recallable);

    /// <summary>How many of these windows the adapter holds no open lease in yet: a grant would open one in each.</summary>
    public static int NewLeases(IReadOnlyList<LeaseLevel> levels, string adapterId, DateTimeOffset now) =>
        levels.Count(level => OwnLease(level.Window, adapterId, now) is null);

    private static LevelPlan Plan(LeaseLevel level, string adapterId, decimal need, decimal wanted, LeaseSizing sizing, DateTimeOffset now)
    {
        var free = Free(level, now);
        var others = level.Window.Leases.Where(l => l.IsOpenAt(now) && l.AdapterId != adapterId && l.Remaining > 0m).ToList();
        if (need <= free)
        {
            // Below its share a lease gets what it wants up to the share, and at least the need (one request's worst case
            // may be more than the share); at its share it waits for its usage to draw on it, or for a return.
            var held = OwnLease(level.Window, adapterId, now)?.Remaining ?? 0m;
            var share = sizing.MaxShare * level.Budget.Limit;
            return held > 0m && held >= share
                ? new LevelPlan(LeaseVerdict.Retry, 0m, [])
                : new LevelPlan(LeaseVerdict.Granted, Math.Max(need, Math.Min(Size(free, others.Count, need, wanted, sizing), share - held)), []);
        }
        // A settling lease has returned all it had uncommitted: what it still holds is in flight, recalling it gains nothing.
        var recallable = others.Where(l => !l.Settling).ToList();
        return need <= free + recallable.Sum(l => l.Remaining)
            ? new LevelPlan(LeaseVerdict.Retry, 0m, recallable)
            : new LevelPlan(LeaseVerdict.Denied, 0m, []);
    }

    /// <summary>
    /// What to add to a lease: <paramref name="wanted"/>, capped by a fair share of the free headroom among the adapters
    /// already leasing here and the caller, never below <paramref name="need"/>. Near exhaustion exactly the need, so
    /// the last few requests' worth is not parked in one adapter while another one needs it.
    /// </summary>
    public static decimal Size(decimal free, int otherAdapters, decimal need, decimal wanted, LeaseSizing sizing)
    {
        if (free < need)
            return 0m;
        if (free < sizing.NearExhaustionMultiplier * need)
            return need;
        var fair = RoundDown(free / (otherAdapters + 1));
        return Math.Clamp(Math.Min(wanted, fair), need, free);
    }

    /// <summary>
    /// Extends a running lease and tops it up towards <paramref name="want"/> (default: the lease's need × the
    /// multiplier) within its fair share and <see cref="LeaseSizing.MaxShare"/>. No top-up while a recall of it stands or
    /// near exhaustion; no extension either while the recall stands, so a holder that never answers recalls cannot keep
    /// headroom past the lease's current expiry by renewing.
    /// </summary>
    public static object[] Renew(LeaseLevel level, string leaseId, decimal? want, LeaseSizing sizing, string actor, DateTimeOffset now)
    {
        var lease = level.Window.Leases.FirstOrDefault(l => l.LeaseId == leaseId && l.IsOpenAt(now))
            ?? throw new DomainException("lease_expired", $"Lease '{leaseId}' has expired; request a new one.");
        if (lease.Recalled)
            return [];
        var free = Free(level, now);
        var added = 0m;
        if (free >= sizing.NearExhaustionMultiplier * lease.Need)
        {
            var others = level.Window.Leases.Count(l => l.IsOpenAt(now) && l.AdapterId != lease.AdapterId && l.Remaining > 0m);
            var target = Math.Min(Math.Min(want ?? lease.Need * sizing.WantMultiplier, RoundDown(free / (others + 1))), sizing.MaxShare * level.Budget.Limit);
            added = Math.Clamp(target - lease.Remaining, 0m, free);
        }
        return [new LeaseExtended(leaseId, added, lease.Need, ExpiryOf(level.Window, now, sizing.Ttl, lease.ExpiresAt), actor, now)];
    }

    /// <summary>
    /// Gives back what the adapter has not committed (at most what the lease still holds). <paramref name="grantsSeen"/>:
    /// how many of the lease's grants and top-ups the adapter had merged when it counted <paramref name="unused"/>
    /// (null: all of them); fewer than the lease has makes the return partial. Idempotent: nothing to give and nothing
    /// to answer writes nothing; an expired lease has already given everything back.
    /// </summary>
    public static object[] Return(BudgetWindowState window, string leaseId, decimal unused, int? grantsSeen, string actor, DateTimeOffset now)
    {
        var lease = window.Leases.FirstOrDefault(l => l.LeaseId == leaseId && l.IsOpenAt(now));
        if (lease is null)
            return [];
        var amount = Math.Min(unused, lease.Remaining);
        var partial = grantsSeen < lease.Grants;
        return amount == 0m && lease.Settling && !lease.Recalled && !partial ? [] : [new LeaseReturned(leaseId, amount, actor, now, partial)];
    }

    /// <summary>Releases a lease whose time is up. Nothing when it is gone already or not yet due.</summary>
    public static object[] Expire(BudgetWindowState window, string leaseId, DateTimeOffset now) =>
        window.Leases.FirstOrDefault(l => l.LeaseId == leaseId) is { } lease && !lease.IsOpenAt(now)
            ? [new LeaseExpired(leaseId, lease.Remaining, now)]
            : [];

    /// <summary>
    /// Settles a batch in one window: plain entries, and draws on leases. A draw on a lease that is no longer open here
    /// (expired, or of another window) is plain spend: the money was spent either way.
    /// </summary>
    public static object[] Settle(Budget budget, BudgetWindowState window, IReadOnlyList<SettledEntry> entries, IReadOnlyList<LeaseDraw> draws, DateTimeOffset now)
    {
        var open = draws.Where(d => window.Leases.Any(l => l.LeaseId == d.LeaseId && l.IsOpenAt(now))).ToList();
        var plain = entries.Concat(draws.Except(open).Select(d => new SettledEntry(d.RequestId, d.Amount))).ToList();
        var events = new List<object>();
        if (plain.Count > 0)
            events.Add(new SpendSettled(plain, now));
        if (open.Count > 0)
            events.Add(new LeaseDrawn(open, now));
        if (events.Count > 0)
            events.AddRange(BudgetDecider.Thresholds(budget, window, window.Settled + plain.Sum(e => e.Amount) + open.Sum(d => d.Amount), now));
        return [.. events];
    }

    private static OpenLease? OwnLease(BudgetWindowState window, string adapterId, DateTimeOffset now) =>
        window.Leases.FirstOrDefault(l => l.AdapterId == adapterId && l.IsOpenAt(now));

    /// <summary>A lease never outlives its window: requests after the window's end belong to the next one.</summary>
    private static DateTimeOffset ExpiryOf(BudgetWindowState window, DateTimeOffset now, TimeSpan ttl, DateTimeOffset? current)
    {
        var expiry = now + ttl;
        if (window.WindowEnd is { } end && end < expiry)
            expiry = end;
        return current is { } running && running > expiry ? running : expiry;
    }

    /// <summary>Shares are rounded down to 10 decimal places (prices have at most 10), so a sum of shares never exceeds the whole.</summary>
    private static decimal RoundDown(decimal amount) => decimal.Round(amount, 10, MidpointRounding.ToZero);
}
