using Governance.Domain.Budgets;

namespace ProxyAdapter.Governance;

/// <summary>
/// A wallet's answer: admitted (with the slices it holds the worst case in, none when no level has a budget), or
/// refused for a budget (<see cref="Shortfall"/>), for a reason the API gave (<see cref="Refusal"/>), or because the
/// API could not be asked (<c>governance_unavailable</c>).
/// </summary>
internal sealed record WalletOutcome(bool Allowed, IReadOnlyList<Slice> Slices, BudgetStanding? Shortfall, string? Refusal)
{
    public static WalletOutcome Admitted(IReadOnlyList<Slice> slices) => new(true, slices, null, null);
    public static WalletOutcome OverBudget(BudgetStanding shortfall) => new(false, [], shortfall, null);
    public static WalletOutcome Refused(string reason) => new(false, [], null, reason);
}
