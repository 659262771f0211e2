using Governance.Contracts.Usage;
using Governance.Domain.Approvals;
using Governance.Domain.Budgets;
using Governance.Domain.Keys;
using Governance.Domain.Usage;

namespace Governance.Store.Usage;

/// <summary>
/// Whether a usage report fits what admitted it: a caller settles only the leases and holds it holds, for requests that
/// happened while they were open (± <see cref="UsageOptions.ClockSkew"/>), in budgets the request belongs to. Each rule
/// refuses the report (and so its batch) with the field at fault.
/// </summary>
/// <remarks>Times are compared by difference, never by adding the skew to a reported instant: one near the calendar's ends must be refused, not overflow.</remarks>
internal static class UsageAdmission
{
    /// <summary>Not in the future, not before its key existed.</summary>
    public static void CheckTime(int index, UsageReport report, VirtualKey key, TimeSpan skew, DateTimeOffset now)
    {
        if (report.OccurredAt - now > skew)
            throw new UsageRejected(index, "occurredAt", $"'occurredAt' {report.OccurredAt:O} is in the future (the API's clock says {now:O}).");
        if (key.IssuedAt - report.OccurredAt > skew)
            throw new UsageRejected(index, "occurredAt", $"'occurredAt' {report.OccurredAt:O} is before key '{key.Id}' was issued.");
    }

    /// <summary>The caller's own hold, and the request happened while it was open.</summary>
    public static void CheckReservation(int index, UsageReport report, Reservation reservation, UsageCaller caller, TimeSpan skew)
    {
        // Holds placed before holders were recorded carry none; they expired long ago or soon will.
        if (!caller.SettlesAny && reservation.HeldBy is { } holder && holder != caller.Holder)
            throw new UsageRejected(index, "reservationId", $"Reservation '{reservation.Id}' was placed by another caller; only its holder settles it.");
        if (reservation.OpenedAt - report.OccurredAt > skew)
            throw new UsageRejected(index, "occurredAt", $"'occurredAt' {report.OccurredAt:O} is before reservation '{reservation.Id}' was placed.");
        if (report.OccurredAtStated && report.OccurredAt - reservation.ExpiresAt > skew)
            throw new UsageRejected(index, "occurredAt", $"'occurredAt' {report.OccurredAt:O} is after reservation '{reservation.Id}' expired.");
    }

    /// <summary>The named leases: each exists, is the caller's, and was open when the request happened; one per level.</summary>
    public static List<BudgetLease> CheckLeases(int index, UsageReport report, IReadOnlyDictionary<string, BudgetLease> leases, UsageCaller caller, TimeSpan skew)
    {
        var found = new List<BudgetLease>(report.LeaseIds.Count);
        foreach (var leaseId in report.LeaseIds)
        {
            var lease = leases.GetValueOrDefault(leaseId) ?? throw new UsageRejected(index, "leaseIds", $"Lease '{leaseId}' does not exist.");
            if (!caller.SettlesAny && lease.AdapterId != caller.Holder)
                throw new UsageRejected(index, "leaseIds", $"Lease '{leaseId}' belongs to another adapter; an adapter settles only its own leases.");
            if (lease.GrantedAt - report.OccurredAt > skew)
                throw new UsageRejected(index, "occurredAt", $"'occurredAt' {report.OccurredAt:O} is before lease '{leaseId}' was granted.");
            if (report.OccurredAtStated && report.OccurredAt - lease.ExpiresAt > skew)
                throw new UsageRejected(index, "occurredAt", $"'occurredAt' {report.OccurredAt:O} is after lease '{leaseId}' expired.");
            if (found.Any(l => l.Level == lease.Level))
                throw new UsageRejected(index, "leaseIds", $"Request '{report.RequestId}' names two leases of its {Name(lease.Level)} budget.");
            found.Add(lease);
        }
        return found;
    }

    /// <summary>A grant lease's grant covered this key and model when the request happened, whatever became of it since.</summary>
    public static void CheckGrant(int index, UsageReport report, VirtualKey key, BudgetLease lease, AccessRequest? grant, TimeSpan skew)
    {
        var covered = grant is { WasGranted: true } && grant.Covers(key.Id, key.App)
            && (grant.Model == report.Model || grant.Model == report.RequestedModel)
            && grant.GrantStart - report.OccurredAt <= skew && report.OccurredAt - grant.GrantExpiry <= skew;
        if (!covered)
            throw new UsageRejected(index, "leaseIds",
                $"Lease '{lease.Id}' is for grant '{lease.Owner}', which did not cover key '{key.Id}' and model '{report.Model}' when request '{report.RequestId}' happened.");
    }

    /// <summary>Each lease is for one of the request's own budgets: its key, its app, the team and grant it was admitted under.</summary>
    public static void CheckOwners(int index, UsageReport report, IReadOnlyList<BudgetLease> leases, RequestCompleted request)
    {
        foreach (var lease in leases)
        {
            var owner = lease.Level switch
            {
                BudgetLevel.Key => request.KeyId,
                BudgetLevel.App => request.App,
                BudgetLevel.Team => request.Team,
                _ => request.GrantId,
            };
            if (owner != lease.Owner)
                throw new UsageRejected(index, "leaseIds",
                    $"Lease '{lease.Id}' is for the {Name(lease.Level)} budget of '{lease.Owner}', which request '{report.RequestId}' does not belong to.");
        }
    }

    private static string Name(BudgetLevel level) => level.ToString().ToLowerInvariant();
}
