using System.Text.Json.Serialization;
using Governance.Contracts.Usage;
using Governance.Domain.Approvals;
using Governance.Domain.Budgets;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;
using Governance.Domain.Usage;
using Governance.Projections;
using Governance.Projections.Alerts;
using Governance.Projections.Usage;
using Governance.Store.Access;
using Governance.Store.Budgets;
using Marten;
using Marten.Exceptions;
using Marten.Services;
using Wolverine;
using Wolverine.Marten;
using Wolverine.Runtime;

namespace Governance.Store.Usage;

/// <summary>A report the ledger cannot price or attribute; the whole batch is refused and nothing is written.</summary>
public sealed class UsageRejected(int index, string field, string message) : Exception(message)
{
    public int Index { get; } = index;
    public string Field { get; } = field;
}

public static class UsageLedger
{
    private const int Attempts = 5;

    /// <summary>
    /// Records a batch in one transaction: a ledger event per new request, captures of the holds they reference,
    /// settlement in every budget window they belong to, threshold events. Request ids already in the ledger
    /// (or repeated within the batch) return their original outcome and write nothing, also when a concurrent batch
    /// records one of them first (the batch is then retried and reports it as a duplicate).
    /// </summary>
    /// <remarks>
    /// Two sessions share one transaction, so the budget-window locks are held only for the settlement: the first
    /// writes the request events (the bulk of the batch) without any lock, the second takes the locks, settles and
    /// commits both, then hands the outbox its messages. Concurrent batches for one budget overlap their request writes
    /// and queue only for the short settlement.
    /// </remarks>
    public static async Task<IReadOnlyList<UsageOutcome>> RecordAsync(
        IDocumentStore store, IWolverineRuntime runtime, IReadOnlyList<UsageReport> reports, UsageCaller caller, UsageOptions options, DateTimeOffset now,
        CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var connection = store.Storage.Database.CreateConnection();
            await connection.OpenAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await using var requests = store.LightweightSession(SessionOptions.ForTransaction(transaction));
            await using var settlement = store.LightweightSession(SessionOptions.ForTransaction(transaction, shouldAutoCommit: true));
            try
            {
                var (outcomes, fresh, reservations, leases) = await PriceAsync(requests, reports, caller, options.ClockSkew, now, ct);
                if (fresh.Count == 0)
                    return outcomes;
                // One statement per table for the whole batch (what StartStream<RequestRecord> per request would write).
                if (!await RequestStreams.StartAsync(store, connection, transaction, fresh, ct))
                {
                    if (attempt < Attempts)
                        continue;
                    throw new ExistingStreamIdCollisionException(fresh[0].RequestId, typeof(RequestRecord));
                }

                var outbox = new MartenOutbox(runtime, settlement);
                await SettleAsync(settlement, outbox, fresh, reservations, leases, now, ct);
                await outbox.PublishAsync(new CheckSpendAnomaly(fresh.Select(r => r.KeyId).Distinct().ToList(), now));
                // Marten commits only a session that has work; the requests' transaction must commit either way.
                if (settlement.PendingChanges.Operations().Any() || settlement.PendingChanges.Streams().Any())
                    await settlement.SaveChangesAsync(ct);
                else
                    await transaction.CommitAsync(ct);
                return outcomes;
            }
            catch (Exception e) when (attempt < Attempts && e.IsStreamCollision())
            {
                // A concurrent batch recorded one of these request ids first: the retry reports it as a duplicate.
            }
        }
    }

    /// <summary>
    /// Prices every report that is new; refuses the whole batch when one cannot be priced or attributed, or names an
    /// admission (a lease, a reservation) the caller does not hold or that cannot have admitted it then.
    /// </summary>
    private static async Task<(List<UsageOutcome> Outcomes, List<RequestCompleted> Fresh, Dictionary<string, Reservation> Reservations,
        Dictionary<string, List<BudgetLease>> Leases)> PriceAsync(
        IQuerySession session, IReadOnlyList<UsageReport> reports, UsageCaller caller, TimeSpan skew, DateTimeOffset now, CancellationToken ct)
    {
        // One round trip for everything the reports name (a round trip costs the API and PostgreSQL more CPU than
        // pricing a hundred records); only the teams wait for the keys.
        var batch = session.CreateBatchQuery();
        var foundRecorded = RequestLog.Recorded(batch, session, reports.Select(r => r.RequestId).Distinct().ToArray());
        var foundKeys = batch.LoadMany<VirtualKey>().ById(reports.Select(r => r.KeyId).Distinct().ToArray());
        var foundModels = batch.LoadMany<ModelDefinition>().ById(reports.Select(r => r.Model).Distinct().ToArray());
        var reservationIds = reports.Where(r => r.ReservationId is not null).Select(r => r.ReservationId!).Distinct().ToArray();
        var foundReservations = reservationIds.Length == 0 ? null : batch.LoadMany<Reservation>().ById(reservationIds);
        // Most batches name no lease (authorize/capture gateways) and no reservation (leases): nothing to ask for them.
        var leaseIds = reports.SelectMany(r => r.LeaseIds).Distinct().ToArray();
        var foundLeases = leaseIds.Length == 0 ? null : batch.LoadMany<BudgetLease>().ById(leaseIds);
        await batch.Execute(ct);

        var existing = (await foundRecorded).ToDictionary(r => r.RequestId);
        var keys = (await foundKeys).ToDictionary(k => k.Id);
        var models = (await foundModels).ToDictionary(m => m.Id);
        var reservations = foundReservations is null ? [] : (await foundReservations).ToDictionary(r => r.Id);
        var leases = foundLeases is null ? [] : (await foundLeases).ToDictionary(l => l.Id);
        var teams = await BudgetBook.TeamsOfAsync(session, keys.Values.Select(k => k.App), ct);
        var grantIds = leases.Values.Where(l => l.Level == BudgetLevel.Grant).Select(l => l.Owner).Distinct().ToArray();
        var grants = grantIds.Length == 0 ? [] : (await session.LoadManyAsync<AccessRequest>(ct, grantIds)).ToDictionary(g => g.Id);
        var leasesOf = new Dictionary<string, List<BudgetLease>>();

        var outcomes = new List<UsageOutcome>(reports.Count);
        var fresh = new Dictionary<string, RequestCompleted>();
        for (var i = 0; i < reports.Count; i++)
        {
            var report = reports[i];
            if (existing.TryGetValue(report.RequestId, out var recorded))
            {
                outcomes.Add(new UsageOutcome(report.RequestId, true, recorded.Cost, recorded.PriceVersion));
                continue;
            }
            if (fresh.TryGetValue(report.RequestId, out var earlier))
            {
                outcomes.Add(new UsageOutcome(report.RequestId, true, earlier.Cost, earlier.PriceVersion));
                continue;
            }
            var key = keys.GetValueOrDefault(report.KeyId) ?? throw new UsageRejected(i, "keyId", $"Key '{report.KeyId}' does not exist.");
            UsageAdmission.CheckTime(i, report, key, skew, now);
            var model = models.GetValueOrDefault(report.Model) ?? throw new UsageRejected(i, "model", $"Model '{report.Model}' does not exist.");
            var price = model.PriceAt(report.OccurredAt)
                ?? throw new UsageRejected(i, "model", $"Model '{report.Model}' has no price effective at {report.OccurredAt:O}; it cannot be recorded at $0.");
            var reservation = report.ReservationId is null ? null : reservations.GetValueOrDefault(report.ReservationId);
            if (report.ReservationId is not null && (reservation is null || reservation.KeyId != key.Id))
                throw new UsageRejected(i, "reservationId", $"Reservation '{report.ReservationId}' does not exist for key '{key.Id}'.");
            if (reservation is not null)
                UsageAdmission.CheckReservation(i, report, reservation, caller, skew);
            var named = report.LeaseIds.Count == 0 ? [] : UsageAdmission.CheckLeases(i, report, leases, caller, skew);

            // The team and grant the request was admitted under (its hold's, its leases'), not today's: an app that changed
            // team, or a grant that ended, while the request was in flight neither moves nor loses its spend.
            var team = reservation is not null ? reservation.Team : teams.GetValueOrDefault(key.App);
            if (named.FirstOrDefault(l => l.Level == BudgetLevel.Team) is { } teamLease && teamLease.Owner != team)
            {
                if (!(await BudgetBook.TeamsDuringAsync(session, key.App, report.OccurredAt - skew, report.OccurredAt + skew, ct)).Contains(teamLease.Owner))
                    throw new UsageRejected(i, "leaseIds",
                        $"Lease '{teamLease.Id}' is for team '{teamLease.Owner}', which app '{key.App}' was not in when request '{report.RequestId}' happened.");
                team = teamLease.Owner;
            }
            var grantLease = named.FirstOrDefault(l => l.Level == BudgetLevel.Grant);
            if (grantLease is not null)
                UsageAdmission.CheckGrant(i, report, key, grantLease, grants.GetValueOrDefault(grantLease.Owner), skew);
            // A restricted model's spend counts against the grant that admitted it (the reservation's, the lease's, or the one active then).
            var grantId = reservation?.GrantId ?? grantLease?.Owner
                ?? (model.IsRestricted ? (await AccessCheck.ActiveGrantAsync(session, key.Id, key.App, model.Id, report.OccurredAt, ct))?.Id : null);

            var usage = new TokenUsage(report.InputTokens, report.CachedTokens, report.OutputTokens, report.ReasoningTokens);
            var completed = new RequestCompleted(report.RequestId, key.Id, key.App, team, model.Id, report.Provider ?? model.Provider,
                usage.Input, usage.Cached, usage.Output, usage.Reasoning, Pricing.Cost(usage, price), price.Version, report.LatencyMs,
                report.Status, report.ReservationId, caller.Actor, report.OccurredAt.ToUniversalTime(), now)
            {
                GrantId = grantId, Deployment = report.Deployment, FailedAttempts = report.FailedAttempts, Estimated = report.Estimated,
                RequestedModel = report.RequestedModel, LeaseIds = report.LeaseIds, WorstCaseCost = report.WorstCaseCost,
                DecidedAtSequence = report.DecidedAtSequence, Routing = report.Routing,
            };
            fresh[report.RequestId] = completed;
            if (named.Count > 0)
            {
                UsageAdmission.CheckOwners(i, report, named, completed);
                leasesOf[report.RequestId] = named;
            }
            outcomes.Add(new UsageOutcome(report.RequestId, false, completed.Cost, completed.PriceVersion));
        }

        return (outcomes, fresh.Values.ToList(), reservations, leasesOf);
    }

    /// <summary>
    /// Moves the batch's money into every budget window it belongs to: captures for reserved requests, draws on the
    /// leases a request names in their windows, plain settlement otherwise.
    /// </summary>
    private static async Task SettleAsync(
        IDocumentSession session, IMessageBus outbox, IReadOnlyList<RequestCompleted> completed, IReadOnlyDictionary<string, Reservation> reservations,
        IReadOnlyDictionary<string, List<BudgetLease>> leasesOf, DateTimeOffset now, CancellationToken ct)
    {
        var captures = new List<(Reservation Reservation, RequestCompleted Request)>();
        var plain = new List<RequestCompleted>();
        foreach (var request in completed)
        {
            if (request.ReservationId is not null && reservations[request.ReservationId] is { Status: ReservationStatus.Open } open
                && captures.All(c => c.Reservation.Id != open.Id))
                captures.Add((open, request));
            else
                plain.Add(request);
        }

        // Where each plain request's money goes: every budget (key, app, team) that exists, in the window of its time.
        static BudgetScope ScopeOf(RequestCompleted r) => new(r.KeyId, r.App, r.Team, r.GrantId);
        var budgetsOf = await BudgetBook.ForAsync(session, plain.Select(ScopeOf).ToHashSet(), ct);
        var settlements = new Dictionary<string, (Budget Budget, DateTimeOffset At, List<SettledEntry> Entries, List<LeaseDraw> Draws)>();
        foreach (var request in plain)
        {
            foreach (var budget in budgetsOf[ScopeOf(request)])
            {
                var windowId = budget.WindowStreamAt(request.OccurredAt);
                if (!settlements.TryGetValue(windowId, out var settlement))
                    settlements[windowId] = settlement = (budget, request.OccurredAt, [], []);
                // A lease of another window (the request happened after its window ended) leaves this window's share plain.
                if (leasesOf.GetValueOrDefault(request.RequestId)?.FirstOrDefault(l => l.Window == windowId) is { } lease)
                    settlement.Draws.Add(new LeaseDraw(lease.Id, request.RequestId, request.Cost, request.WorstCaseCost));
                else
                    settlement.Entries.Add(new SettledEntry(request.RequestId, request.Cost));
            }
        }

        var budgetsById = (await session.LoadManyAsync<Budget>(ct, captures.SelectMany(c => c.Reservation.Windows).Select(BudgetIdOf).Distinct()))
            .ToDictionary(b => b.Id);
        await BudgetBook.LockAsync(session, settlements.Keys.Concat(captures.SelectMany(c => c.Reservation.Windows)), ct);

        var windows = new Dictionary<string, BudgetWindowState>();
        var batch = completed.Select(r => r.RequestId).ToList();
        foreach (var (windowId, (budget, at, entries, draws)) in settlements)
        {
            // This batch's requests are already written (uncommitted, in this transaction): a window opened now must not count them twice.
            var window = windows[windowId] = await BudgetBook.WindowAsync(session, budget, at, now, ct, batch);
            await AppendAsync(session, outbox, windows, windowId, LeaseDecider.Settle(budget, window, entries, draws, now));
        }
        foreach (var (reservation, request) in captures)
        {
            // Re-read under the lock: a concurrent batch may have captured or expired it meanwhile.
            if (await session.LoadAsync<Reservation>(reservation.Id, ct) is not { Status: ReservationStatus.Open })
                continue;
            foreach (var windowId in reservation.Windows)
            {
                if (!budgetsById.TryGetValue(BudgetIdOf(windowId), out var budget))
                    continue;
                var window = windows.GetValueOrDefault(windowId) ?? await session.LoadAsync<BudgetWindowState>(windowId, ct);
                if (window is null)
                    continue;
                windows[windowId] = window;
                await AppendAsync(session, outbox, windows, windowId,
                    BudgetDecider.Capture(budget, window, reservation.Id, request.RequestId, request.Cost, now));
            }
            session.Events.Append(reservation.Id, new ReservationCaptured(reservation.Id, request.RequestId, request.Cost, now));
        }
    }

    private static async Task AppendAsync(IDocumentSession session, IMessageBus outbox, Dictionary<string, BudgetWindowState> windows, string windowId, object[] events)
    {
        if (events.Length == 0)
            return;
        session.Events.Append(windowId, events);
        // Keep the in-memory window current, so a second change to it in this batch builds on the first.
        windows[windowId] = events.Aggregate(windows.GetValueOrDefault(windowId)!, (state, e) => BudgetWindowState.Evolve(state, windowId, e)!);
        foreach (var crossed in events.OfType<BudgetThresholdCrossed>())
            await outbox.PublishAsync(new BudgetAlert(crossed));
    }

    /// <summary>"budget:key:abc:monthly-2026-11-01" → "budget:key:abc".</summary>
    private static string BudgetIdOf(string windowStreamId) => windowStreamId[..windowStreamId.LastIndexOf(':')];
}
