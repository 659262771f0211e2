namespace Governance.Domain.Budgets;

// Budget leases: an adapter's slice of one budget window's headroom, so it can admit requests from memory.
// Every lease event lives on the WINDOW stream (BudgetIds.Window), like holds, so the window's state alone says
// how much is settled, held and leased, and one lock per window serialises every decision about its money.

/// <summary>
/// A new lease: <paramref name="Amount"/> of the window's headroom now belongs to <paramref name="AdapterId"/> until
/// <paramref name="ExpiresAt"/>. <paramref name="Need"/> is what the adapter said one request needs; near exhaustion
/// leases shrink to it. <paramref name="Window"/> is the window stream, repeated so a lease id alone finds it.
/// </summary>
public sealed record LeaseGranted(
    string LeaseId, string AdapterId, string KeyId, BudgetLevel Level, string Owner, string Window, decimal Amount, decimal Need,
    DateTimeOffset ExpiresAt, string GrantedBy, DateTimeOffset GrantedAt);

/// <summary>A renewal: the lease lives until <paramref name="ExpiresAt"/> and gained <paramref name="Added"/> (possibly 0).</summary>
public sealed record LeaseExtended(string LeaseId, decimal Added, decimal Need, DateTimeOffset ExpiresAt, string ExtendedBy, DateTimeOffset ExtendedAt);

/// <summary>A request's cost drawn from a lease; <paramref name="WorstCase"/>: what the adapter admitted it for, when it said.</summary>
public sealed record LeaseDraw(string LeaseId, string RequestId, decimal Amount, decimal? WorstCase = null);

/// <summary>Requests' actual costs settled out of leases: the money moves from leased to settled. One event per window per batch.</summary>
public sealed record LeaseDrawn(IReadOnlyList<LeaseDraw> Draws, DateTimeOffset DrawnAt);

/// <summary>
/// The adapter gave back <paramref name="Amount"/> it had not committed; what it still has in flight stays leased.
/// <paramref name="Partial"/>: the adapter had not yet seen every top-up of the lease when it counted what it had not
/// committed (a top-up crossed the return), so the lease may still hold unused money.
/// </summary>
public sealed record LeaseReturned(string LeaseId, decimal Amount, string ReturnedBy, DateTimeOffset ReturnedAt, bool Partial = false);

/// <summary>
/// Another adapter needs headroom this lease may be sitting on: its holder should return what it has not committed.
/// Carries the holder's id so every adapter on the change feed can tell whether the recall is addressed to it.
/// </summary>
public sealed record LeaseRecalled(
    string LeaseId, string AdapterId, BudgetLevel Level, string Owner, string RecalledFor, string RecalledBy, DateTimeOffset RecalledAt);

/// <summary>The lease's time is up: its remaining headroom goes back to the window.</summary>
public sealed record LeaseExpired(string LeaseId, decimal Released, DateTimeOffset ExpiredAt);
