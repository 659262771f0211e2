using Governance.Domain.Budgets;

namespace ProxyAdapter.Governance;

/// <summary>
/// This adapter's share of one budget window: a lease. <see cref="Remaining"/> is what the lease holds (as the API
/// counts it, less what this adapter took out to return); <see cref="InFlight"/> the worst cases of admitted requests
/// whose usage has not been acknowledged yet; <see cref="Grants"/> how many of the lease's grants and top-ups are in
/// <see cref="Remaining"/> (a return names it, so the API can tell a return that crossed a top-up). Guarded by the
/// wallet's lock.
/// </summary>
internal sealed class Slice(string leaseId, BudgetLevel level, string owner, DateTimeOffset windowStart, DateTimeOffset? windowEnd)
{
    public string LeaseId { get; } = leaseId;
    public BudgetLevel Level { get; } = level;
    public string Owner { get; } = owner;
    public DateTimeOffset WindowStart { get; } = windowStart;
    public DateTimeOffset? WindowEnd { get; } = windowEnd;
    public decimal Remaining { get; set; }
    public decimal InFlight { get; set; }
    public int Grants { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>A request was admitted against it since its last renewal (or its grant): an idle lease is let go, not renewed.</summary>
    public bool Used { get; set; } = true;

    /// <summary>Money the API put into the lease (a top-up or a renewal's): counts as one more grant when there was any.</summary>
    public void Add(decimal granted)
    {
        Remaining += granted;
        if (granted > 0m)
            Grants++;
    }

    /// <summary>Uncommitted: what a new request may still be admitted against, or returned.</summary>
    public decimal Available => Math.Max(0m, Remaining - InFlight);

    /// <summary>Usable for a request admitted at <paramref name="now"/>: its window, and not expired.</summary>
    public bool CoversAt(DateTimeOffset now) => WindowStart <= now && (WindowEnd is not { } end || now < end) && now < ExpiresAt;
}

/// <summary>A request admitted against slices: its worst case is in flight on each until its usage is acknowledged.</summary>
internal sealed record LeasedAdmission(string RequestId, decimal WorstCase, IReadOnlyList<Slice> Slices)
{
    public IReadOnlyList<string> LeaseIds => Slices.Select(s => s.LeaseId).ToList();
}
