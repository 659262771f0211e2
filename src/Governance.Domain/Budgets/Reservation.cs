namespace Governance.Domain.Budgets;

/// <summary>
/// An authorization hold across every budget level a request belongs to. Stream: "reservation:{id}".
/// <paramref name="Windows"/> are the window streams holding the amount, so capture and expiry touch exactly those.
/// </summary>
public sealed record ReservationOpened(
    string ReservationId, string KeyId, string App, string? Team, string Model, int PriceVersion, decimal Amount,
    IReadOnlyList<string> Windows, DateTimeOffset ExpiresAt, string OpenedBy, DateTimeOffset OpenedAt)
{
    public string? GrantId { get; init; }

    /// <summary>Who may settle it: the adapter id of an adapter's token, else the token id (null in holds placed before it was recorded).</summary>
    public string? HeldBy { get; init; }
}

public sealed record ReservationCaptured(string ReservationId, string RequestId, decimal Actual, DateTimeOffset CapturedAt);

public sealed record ReservationExpired(string ReservationId, DateTimeOffset ExpiredAt);

public enum ReservationStatus
{
    Open,
    Captured,
    Expired,
}

public sealed record Reservation(
    string Id, string KeyId, string App, string? Team, string Model, int PriceVersion, decimal Amount,
    IReadOnlyList<string> Windows, DateTimeOffset ExpiresAt, ReservationStatus Status, string? RequestId)
{
    public string? GrantId { get; init; }

    /// <summary>See <see cref="ReservationOpened.HeldBy"/>: only that caller may settle the reservation.</summary>
    public string? HeldBy { get; init; }

    /// <summary>When the hold was placed: a request it admitted cannot have happened (much) earlier.</summary>
    public DateTimeOffset OpenedAt { get; init; }

    public static string StreamId(string reservationId) => reservationId;

    public static Reservation? Evolve(Reservation? state, object @event) => (state, @event) switch
    {
        (null, ReservationOpened e) => new Reservation(e.ReservationId, e.KeyId, e.App, e.Team, e.Model, e.PriceVersion, e.Amount,
            e.Windows, e.ExpiresAt, ReservationStatus.Open, null) { GrantId = e.GrantId, HeldBy = e.HeldBy, OpenedAt = e.OpenedAt },
        (null, _) => null,
        (_, ReservationCaptured e) => state with { Status = ReservationStatus.Captured, RequestId = e.RequestId },
        (_, ReservationExpired) => state with { Status = ReservationStatus.Expired },
        _ => state,
    };
}
