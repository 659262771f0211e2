namespace Governance.Domain.Budgets;

public enum BudgetLevel
{
    Key,
    App,
    Team,
    /// <summary>The spend cap of one access grant (lifetime of the grant).</summary>
    Grant,
    /// <summary>One end user of one app, by pseudonym (docs/attribution.md); an app's default user budget applies to users without their own.</summary>
    User,
    /// <summary>One tag, <c>key:value</c> (a project, a cost centre), whichever keys' requests carry it.</summary>
    Tag,
}

public enum BudgetPeriod
{
    Daily,
    Weekly,
    Monthly,
    Lifetime,
}

/// <summary>A budget's definition for one key, app or team. Stream: <see cref="BudgetIds.Definition"/>.</summary>
public sealed record BudgetSet(
    BudgetLevel Level, string Owner, decimal Limit, BudgetPeriod Period, IReadOnlyList<int> Thresholds, string SetBy, DateTimeOffset SetAt);

/// <summary>An app joins a team (or leaves it, when Team is null). Stream: "app:{name}".</summary>
public sealed record AppTeamAssigned(string App, string? Team, string AssignedBy, DateTimeOffset AssignedAt);

// Money movements in one budget window. Stream: BudgetIds.Window(level, owner, window).
// Every amount is exact USD. The window's state is folded from these alone.

/// <summary>First event of a window: spend already in the ledger for this window before the budget counted it.</summary>
public sealed record BudgetWindowOpened(string BudgetId, DateTimeOffset WindowStart, DateTimeOffset? WindowEnd, decimal OpeningSettled, DateTimeOffset OpenedAt);

public sealed record HoldPlaced(string ReservationId, decimal Amount, DateTimeOffset ExpiresAt, string KeyId, string Model, DateTimeOffset PlacedAt);

/// <summary>The hold is replaced by the actual cost; the rest of the hold is released.</summary>
public sealed record HoldCaptured(string ReservationId, string RequestId, decimal Actual, DateTimeOffset CapturedAt);

/// <summary>An unsettled hold reached its expiry (or its reservation was cancelled): nothing is charged.</summary>
public sealed record HoldReleased(string ReservationId, string Reason, DateTimeOffset ReleasedAt);

/// <summary>Spend recorded without a hold (usage reported directly), one entry per request.</summary>
public sealed record SpendSettled(IReadOnlyList<SettledEntry> Entries, DateTimeOffset SettledAt);

public sealed record SettledEntry(string RequestId, decimal Amount);

/// <summary>Settled spend crossed a soft threshold (percent of the limit). Once per threshold per window.</summary>
public sealed record BudgetThresholdCrossed(
    BudgetLevel Level, string Owner, int Percent, decimal Limit, decimal Settled, DateTimeOffset WindowStart, DateTimeOffset CrossedAt);
