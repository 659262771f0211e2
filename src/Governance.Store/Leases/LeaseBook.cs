using System.Security.Cryptography;
using Governance.Domain.Budgets;
using Governance.Store.Budgets;
using Marten;
using Wolverine;
using Wolverine.Attributes;

namespace Governance.Store.Leases;

/// <summary>A lease request for one key's requests (under a grant, for a restricted model); <see cref="Recall"/>: may recall others' leases.</summary>
public sealed record LeaseRequest(string AdapterId, string KeyId, string App, string? GrantId, decimal Need, decimal? Want, string Actor, bool Recall = true);

/// <summary>The scheduled end of a lease.</summary>
// Named as before the move to Governance.Store: scheduled envelopes stored under the old name must still be handled.
[MessageIdentity("Governance.Projections.Leases.ExpireLease")]
public sealed record ExpireLease(string LeaseId);

/// <summary>A lease after a renewal or a return.</summary>
public sealed record LeaseState(BudgetLease Lease, OpenLease? Open, decimal Changed);

/// <summary>
/// Loads, locks and writes for leases, the way <see cref="Holds"/> does for holds: every decision about a window's
/// money runs under that window's advisory transaction lock (<see cref="BudgetBook.LockAsync"/>), so leases, holds and
/// settlements on one budget are serialised by PostgreSQL across every node.
/// </summary>
public static class LeaseBook
{
    public static async Task<LeaseDecision> RequestAsync(
        IDocumentSession session, IMessageBus outbox, LeaseRequest request, LeaseSizing sizing, DateTimeOffset now, CancellationToken ct)
    {
        var team = await BudgetBook.TeamOfAsync(session, request.App, ct);
        var budgets = await BudgetBook.ForAsync(session, new BudgetScope(request.KeyId, request.App, team, request.GrantId), ct);
        // No budget at any level: nothing to lease, the adapter admits this key's requests without a slice.
        if (budgets.Count == 0)
            return new LeaseDecision(LeaseVerdict.Granted, [], [], [], null);

        await BudgetBook.LockAsync(session, budgets.Select(b => b.WindowStreamAt(now)), ct);
        var levels = new List<LeaseLevel>(budgets.Count);
        foreach (var budget in budgets)
            levels.Add(new LeaseLevel(budget, await BudgetBook.WindowAsync(session, budget, now, now, ct)));

        // Only a grant that opens a lease in a new window can pass the adapter's cap, so only then are its leases counted.
        var open = LeaseDecider.NewLeases(levels, request.AdapterId, now) == 0 ? 0 : await OpenLeasesAsync(session, request.AdapterId, now, ct);
        var decision = LeaseDecider.Request(
            levels, request.AdapterId, request.KeyId, request.Need, request.Want, sizing, request.Actor, now, NewLeaseId, request.Recall, open);
        if (decision.Events.Count == 0)
            return decision;
        foreach (var change in decision.Events)
            session.Events.Append(change.Window, change.Event);
        // A delay, not an absolute time: Wolverine's scheduler runs on the wall clock, our decisions on the injected one.
        // A renewal does not reschedule: the handler finds the later expiry and comes back then.
        foreach (var granted in decision.Events.Select(e => e.Event).OfType<LeaseGranted>())
            await outbox.ScheduleAsync(new ExpireLease(granted.LeaseId), granted.ExpiresAt - now);
        await session.SaveChangesAsync(ct);
        return decision;
    }

    public static Task<LeaseState> RenewAsync(
        IDocumentSession session, BudgetLease lease, decimal? want, LeaseSizing sizing, string actor, DateTimeOffset now, CancellationToken ct) =>
        ChangeAsync(session, lease, (level, _) => LeaseDecider.Renew(level, lease.Id, want, sizing, actor, now), now, ct);

    public static Task<LeaseState> ReturnAsync(
        IDocumentSession session, BudgetLease lease, decimal unused, int? grantsSeen, string actor, DateTimeOffset now, CancellationToken ct) =>
        ChangeAsync(session, lease, (_, window) => LeaseDecider.Return(window, lease.Id, unused, grantsSeen, actor, now), now, ct);

    /// <summary>
    /// Releases a lease whose time is up; returns how long until it is, when it is not yet (then nothing is written).
    /// Idempotent, like <see cref="Holds.ExpireAsync"/>.
    /// </summary>
    public static async Task<TimeSpan?> ExpireAsync(IDocumentSession session, string leaseId, DateTimeOffset now, CancellationToken ct)
    {
        var lease = await session.LoadAsync<BudgetLease>(leaseId, ct);
        if (lease is not { Status: LeaseStatus.Open })
            return null;
        if (lease.ExpiresAt > now)
            return lease.ExpiresAt - now;
        await BudgetBook.LockAsync(session, [lease.Window], ct);
        // Re-read under the lock: a renewal may have moved the expiry meanwhile.
        var window = await session.LoadAsync<BudgetWindowState>(lease.Window, ct);
        if (window?.Leases.FirstOrDefault(l => l.LeaseId == leaseId) is { } open && open.IsOpenAt(now))
            return open.ExpiresAt - now;
        var expired = window is null ? [] : LeaseDecider.Expire(window, leaseId, now);
        if (expired.Length == 0)
            return null;
        session.Events.Append(lease.Window, expired);
        await session.SaveChangesAsync(ct);
        return null;
    }

    private static async Task<LeaseState> ChangeAsync(
        IDocumentSession session, BudgetLease lease, Func<LeaseLevel, BudgetWindowState, object[]> decide, DateTimeOffset now, CancellationToken ct)
    {
        var budget = await session.LoadAsync<Budget>(BudgetIds.Definition(lease.Level, lease.Owner), ct);
        await BudgetBook.LockAsync(session, [lease.Window], ct);
        var window = await session.LoadAsync<BudgetWindowState>(lease.Window, ct);
        if (budget is null || window is null)
            return new LeaseState(lease, null, 0m);

        var events = decide(new LeaseLevel(budget, window), window);
        if (events.Length > 0)
        {
            session.Events.Append(lease.Window, events);
            await session.SaveChangesAsync(ct);
        }
        var after = events.Aggregate(window, (state, e) => BudgetWindowState.Evolve(state, window.Id, e)!);
        var changed = events.Sum(e => e switch { LeaseExtended x => x.Added, LeaseReturned x => x.Amount, _ => 0m });
        var updated = events.Aggregate(lease, (state, e) => BudgetLease.Evolve(state, e)!);
        return new LeaseState(updated, after.Leases.FirstOrDefault(l => l.LeaseId == lease.Id && l.IsOpenAt(now)), changed);
    }

    /// <summary>
    /// The adapter's open leases, counted under a lock of its own, so two of its asks for new windows cannot both pass the
    /// cap. Taken after the window locks and before nothing else: every holder of it already holds all the locks it will
    /// take, so it cannot deadlock with them.
    /// </summary>
    private static async Task<int> OpenLeasesAsync(IDocumentSession session, string adapterId, DateTimeOffset now, CancellationToken ct)
    {
        await using (var command = session.Connection!.CreateCommand())
        {
            command.CommandText = "select pg_advisory_xact_lock(hashtextextended(@id, 0))";
            command.Parameters.AddWithValue("id", "lease-adapter:" + adapterId);
            await command.ExecuteScalarAsync(ct);
        }
        return await session.Query<BudgetLease>().CountAsync(l => l.AdapterId == adapterId && l.Status == LeaseStatus.Open && l.ExpiresAt > now, ct);
    }

    private static string NewLeaseId() => BudgetLease.IdPrefix + RandomNumberGenerator.GetHexString(24, lowercase: true);
}

/// <summary>Wolverine handler for the scheduled expiry; runs on whichever node holds the durable message.</summary>
public static class ExpireLeaseHandler
{
    public static async Task Handle(ExpireLease message, IDocumentStore store, IMessageBus bus, TimeProvider clock, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        // Not yet due (renewed, or this node's clock is behind): come back when it is.
        if (await LeaseBook.ExpireAsync(session, message.LeaseId, clock.GetUtcNow(), ct) is { } due)
            await bus.ScheduleAsync(message, due);
    }
}
