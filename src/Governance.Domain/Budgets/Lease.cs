namespace Governance.Domain.Budgets;

/// <summary>
/// A lease as its window sees it. <see cref="Remaining"/> counts against the window's limit while the lease runs.
/// <see cref="Settling"/>: the adapter has returned everything it had not committed and nothing was drawn since, so what
/// remains is in flight (it will be drawn by usage); a recall would gain nothing. <see cref="Recalled"/>: a recall
/// awaits an answer. <see cref="Grants"/>: how many times money was put into the lease (its grant and every top-up),
/// so a return can tell whether the adapter had seen all of it.
/// </summary>
public sealed record OpenLease(
    string LeaseId, string AdapterId, decimal Remaining, decimal Drawn, decimal Need, DateTimeOffset ExpiresAt, bool Settling, bool Recalled,
    int Grants = 1)
{
    /// <summary>Leases end by time, like holds: past its expiry a lease counts for nothing, even before the expiry event.</summary>
    public bool IsOpenAt(DateTimeOffset now) => ExpiresAt > now;

    /// <summary>The window's lease list after one lease event.</summary>
    public static IReadOnlyList<OpenLease> Evolve(IReadOnlyList<OpenLease> leases, object @event) => @event switch
    {
        LeaseGranted e => [.. leases, new OpenLease(e.LeaseId, e.AdapterId, e.Amount, 0m, e.Need, e.ExpiresAt, false, false)],
        LeaseExtended e => Update(leases, e.LeaseId, l => l with
        {
            Remaining = l.Remaining + e.Added, Need = e.Need, ExpiresAt = e.ExpiresAt,
            // New headroom is uncommitted again; a recall still stands until the adapter answers it.
            Settling = l.Settling && e.Added == 0m, Grants = e.Added > 0m ? l.Grants + 1 : l.Grants,
        }),
        // A draw beyond the remaining is still spend (it is settled); the lease simply has nothing left. A request that
        // cost less than its worst case (or did not say what that was) leaves part of what was in flight unused: the
        // lease is worth recalling again. One that cost its whole worst case freed nothing: a settling lease stays so.
        LeaseDrawn e => e.Draws.Aggregate(leases, (all, d) => Update(all, d.LeaseId, l => l with
        {
            Remaining = Math.Max(0m, l.Remaining - d.Amount), Drawn = l.Drawn + d.Amount,
            Settling = l.Settling && d.WorstCase is { } worst && d.Amount >= worst,
        })),
        // A partial return was computed before the adapter saw a top-up: what the top-up added may be unused, so the
        // lease stays recallable (and the recall counts as answered, so the next shortfall recalls it again).
        LeaseReturned e => Update(leases, e.LeaseId, l => l with
        {
            Remaining = Math.Max(0m, l.Remaining - e.Amount), Settling = !e.Partial, Recalled = false,
        }),
        LeaseRecalled e => Update(leases, e.LeaseId, l => l with { Recalled = true }),
        LeaseExpired e => leases.Where(l => l.LeaseId != e.LeaseId).ToList(),
        _ => leases,
    };

    private static IReadOnlyList<OpenLease> Update(IReadOnlyList<OpenLease> leases, string leaseId, Func<OpenLease, OpenLease> change) =>
        leases.Select(l => l.LeaseId == leaseId ? change(l) : l).ToList();
}

public enum LeaseStatus
{
    Open,
    Expired,
}

/// <summary>
/// Where a lease lives and whose it is, by lease id: folded from the lease's events on its window stream. The money
/// is in the window (<see cref="BudgetWindowState.Leases"/>); this answers "which window, which adapter, until when".
/// </summary>
public sealed record BudgetLease(
    string Id, string AdapterId, string KeyId, BudgetLevel Level, string Owner, string Window, DateTimeOffset ExpiresAt, LeaseStatus Status)
{
    public const string IdPrefix = "lse_";

    /// <summary>When the lease was granted: no request admitted under it can have happened (much) earlier.</summary>
    public DateTimeOffset GrantedAt { get; init; }

    public bool IsOpenAt(DateTimeOffset now) => Status == LeaseStatus.Open && ExpiresAt > now;

    public static BudgetLease? Evolve(BudgetLease? state, object @event) => (state, @event) switch
    {
        (null, LeaseGranted e) => new BudgetLease(e.LeaseId, e.AdapterId, e.KeyId, e.Level, e.Owner, e.Window, e.ExpiresAt, LeaseStatus.Open)
        {
            GrantedAt = e.GrantedAt,
        },
        (null, _) => null,
        (_, LeaseExtended e) => state with { ExpiresAt = e.ExpiresAt },
        (_, LeaseExpired) => state with { Status = LeaseStatus.Expired },
        _ => state,
    };
}
