using Governance.Domain.Budgets;

namespace Governance.Contracts.Leases;

/// <summary>
/// One level's slice: <see cref="Amount"/> was added by this call, <see cref="Remaining"/> is what the lease holds in
/// all. Valid for requests the adapter admits before <see cref="ExpiresAt"/> (never after <see cref="WindowEnd"/>).
/// <see cref="Grants"/>: how many times the lease has been given money, this time included (a return names it).
/// </summary>
public sealed record LeaseSliceView(
    string LeaseId, string Level, string Owner, DateTimeOffset WindowStart, DateTimeOffset? WindowEnd, decimal Amount, decimal Remaining,
    DateTimeOffset ExpiresAt, int Grants)
{
    public static LeaseSliceView From(LeaseSlice slice) => new(slice.LeaseId, LevelName(slice.Level), slice.Owner, slice.Window.Start,
        slice.Window.End, slice.Added, slice.Remaining, slice.ExpiresAt, slice.Grants);

    public static string LevelName(BudgetLevel level) => level.ToString().ToLowerInvariant();
}

/// <summary>The level that could not give the need, as it stands: <see cref="Remaining"/> is its free headroom.</summary>
public sealed record LeaseShortfall(string Level, string Owner, decimal Limit, decimal Settled, decimal Held, decimal Leased, decimal Remaining)
{
    public static LeaseShortfall From(BudgetStanding s) =>
        new(LeaseSliceView.LevelName(s.Level), s.Owner, s.Limit, s.Settled, s.Held, s.Leased, s.Remaining);
}
