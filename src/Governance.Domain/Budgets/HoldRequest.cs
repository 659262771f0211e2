namespace Governance.Domain.Budgets;

public sealed record HoldRequest(string KeyId, string App, string? GrantId, string Model, int PriceVersion, decimal Amount, TimeSpan Ttl, string Actor)
{
    /// <summary>Who may settle the hold (<see cref="ReservationOpened.HeldBy"/>); the actor when not said.</summary>
    public string? Holder { get; init; }

    /// <summary>The end user's pseudonym (its user budget), when the request names one.</summary>
    public string? User { get; init; }

    /// <summary>The request's tags (its tag budgets), the key's own included.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
}

/// <summary>
/// The result of an authorization hold in the API's budget windows. <see cref="ReservationId"/>: the reservation usage
/// captures. <see cref="Standings"/> are after the hold (or as they stood, when denied).
/// </summary>
public sealed record HoldOutcome(bool Allowed, string? ReservationId, DateTimeOffset? ExpiresAt, IReadOnlyList<BudgetStanding> Standings, BudgetStanding? Shortfall);
