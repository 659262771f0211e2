using Governance.Domain.Budgets;

namespace Governance.Contracts.Access;

public sealed record BudgetRemaining(string Level, string Owner, decimal Limit, decimal Settled, decimal Held, decimal Remaining, DateTimeOffset WindowStart, DateTimeOffset? WindowEnd)
{
    public static BudgetRemaining From(BudgetStanding s) => new(
        s.Level.ToString().ToLowerInvariant(), s.Owner, s.Limit, s.Settled, s.Held, s.Remaining, s.Window.Start, s.Window.End);
}

/// <summary>
/// <see cref="Remaining"/> lists every budget level after the hold. When denied for budget, <see cref="Level"/> and
/// <see cref="Shortfall"/> name the level that lacked headroom and what it had left.
/// </summary>
public sealed record AuthorizeResult(
    bool Allowed, string? Reason, string? KeyId, string? App, string? ReservationId, DateTimeOffset? ExpiresAt,
    decimal? WorstCaseCost, IReadOnlyList<BudgetRemaining> Remaining, BudgetRemaining? Shortfall)
{
    /// <summary>
    /// A denial's id: <c>GET /api/requests/{id}/explanation</c> explains it. Null for a refusal of the key itself, which
    /// is counted (per minute, as the proxy counts refusals from the headers), not recorded one by one.
    /// </summary>
    public string? DenialId { get; init; }
}
