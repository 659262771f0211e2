using Governance.Domain.Budgets;
using Marten;
using Wolverine;
using Wolverine.Attributes;

namespace Governance.Store.Budgets;

/// <summary>The scheduled end of an unsettled hold.</summary>
// Named as before the move to Governance.Store: scheduled envelopes stored under the old name must still be handled.
[MessageIdentity("Governance.Projections.Budgets.ExpireReservation")]
public sealed record ExpireReservation(string ReservationId);

public static class Holds
{
    /// <summary>
    /// Reserves <see cref="HoldRequest.Amount"/> in every budget window the request belongs to, or nothing when any
    /// level lacks the headroom. With no budget at any level there is nothing to reserve: allowed, no reservation.
    /// The expiry is scheduled through <paramref name="outbox"/> in the same transaction.
    /// </summary>
    public static async Task<HoldOutcome> PlaceAsync(IDocumentSession session, IMessageBus outbox, HoldRequest request, DateTimeOffset now, CancellationToken ct)
    {
        // The app's team is read here, once, for every caller: the hold and its reservation need the same answer.
        var team = await BudgetBook.TeamOfAsync(session, request.App, ct);
        var budgets = await BudgetBook.ForAsync(session, new BudgetScope(request.KeyId, request.App, team, request.GrantId), ct);
        if (budgets.Count == 0)
            return new HoldOutcome(true, null, null, [], null);

        await BudgetBook.LockAsync(session, budgets.Select(b => b.WindowStreamAt(now)), ct);
        var windows = new List<BudgetWindowState>();
        foreach (var budget in budgets)
            windows.Add(await BudgetBook.WindowAsync(session, budget, now, now, ct));

        var standings = budgets.Zip(windows, (b, w) => BudgetStanding.Of(b, w, now)).ToList();
        var shortfall = BudgetDecider.Shortfall(standings, request.Amount);
        if (shortfall is not null)
            return new HoldOutcome(false, null, null, standings, shortfall);

        var reservationId = "rsv_" + Guid.NewGuid().ToString("N");
        var expiresAt = now + request.Ttl;
        foreach (var window in windows)
            session.Events.Append(window.Id, new HoldPlaced(reservationId, request.Amount, expiresAt, request.KeyId, request.Model, now));
        session.Events.StartStream<Reservation>(reservationId, new ReservationOpened(
            reservationId, request.KeyId, request.App, team, request.Model, request.PriceVersion, request.Amount,
            windows.Select(w => w.Id).ToList(), expiresAt, request.Actor, now) { GrantId = request.GrantId, HeldBy = request.Holder ?? request.Actor });
        // A delay, not an absolute time: Wolverine's scheduler runs on the wall clock, our decisions on the injected one.
        await outbox.ScheduleAsync(new ExpireReservation(reservationId), request.Ttl);
        await session.SaveChangesAsync(ct);

        return new HoldOutcome(true, reservationId, expiresAt, standings.Select(s => s with { Held = s.Held + request.Amount }).ToList(), null);
    }

    /// <summary>
    /// Releases an unsettled hold whose time is up; returns how long until it is, when it is not yet (then nothing is
    /// written). Idempotent: a captured or expired reservation is left alone.
    /// </summary>
    public static async Task<TimeSpan?> ExpireAsync(IDocumentSession session, string reservationId, DateTimeOffset now, CancellationToken ct)
    {
        var reservation = await session.LoadAsync<Reservation>(reservationId, ct);
        if (reservation is not { Status: ReservationStatus.Open })
            return null;
        if (reservation.ExpiresAt > now)
            return reservation.ExpiresAt - now;
        await BudgetBook.LockAsync(session, reservation.Windows, ct);
        reservation = await session.LoadAsync<Reservation>(reservationId, ct);
        if (reservation is not { Status: ReservationStatus.Open })
            return null;

        foreach (var windowId in reservation.Windows)
        {
            var window = await session.LoadAsync<BudgetWindowState>(windowId, ct);
            var released = window is null ? [] : BudgetDecider.Release(window, reservationId, "expired", now);
            if (released.Length > 0)
                session.Events.Append(windowId, released);
        }
        session.Events.Append(reservationId, new ReservationExpired(reservationId, now));
        await session.SaveChangesAsync(ct);
        return null;
    }
}

/// <summary>Wolverine handler for the scheduled expiry; runs on whichever node holds the durable message.</summary>
public static class ExpireReservationHandler
{
    public static async Task Handle(ExpireReservation message, IDocumentStore store, IMessageBus bus, TimeProvider clock, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        // Early (clocks of nodes differ slightly): come back when the hold is really due.
        if (await Holds.ExpireAsync(session, message.ReservationId, clock.GetUtcNow(), ct) is { } due)
            await bus.ScheduleAsync(message, due);
    }
}
