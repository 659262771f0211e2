namespace Governance.Domain.Catalog;

/// <summary>
/// How the gateway orders the deployments a call may go to (docs/routing.md). Health comes first whatever the strategy:
/// a deployment cooling down after a failure is tried only after every healthy one.
/// </summary>
public static class RoutingStrategies
{
    /// <summary>Weighted random sampling by each deployment's weight (the default, and every plain model's).</summary>
    public const string Weighted = "weighted";
    /// <summary>Cheapest first: the deployment's own price where the operator set one, else its model's.</summary>
    public const string CostBased = "cost-based";
    /// <summary>Lowest moving average (EWMA) of time to first byte, measured by each adapter.</summary>
    public const string LatencyBased = "latency-based";
    /// <summary>Fewest calls in flight from this adapter.</summary>
    public const string LeastBusy = "least-busy";
    /// <summary>Most rate-limit headroom of the provider account, from its headers or observed 429s.</summary>
    public const string UsageBased = "usage-based";

    public static readonly IReadOnlyList<string> All = [Weighted, CostBased, LatencyBased, LeastBusy, UsageBased];

    public static bool IsKnown(string? strategy) => strategy is not null && All.Contains(strategy, StringComparer.Ordinal);
}

/// <summary>
/// A name clients call as <c>model</c> that stands for a policy, not a model: its <see cref="Members"/> (routed models
/// speaking one API) and the <see cref="Strategy"/> that picks among their deployments.
/// </summary>
public sealed record ModelGroup(IReadOnlyList<string> Members, string Strategy)
{
    public const int MaxMembers = 16;

    // Lists compare by reference in a record: a group set again with the same members and strategy is the same group.
    public bool Equals(ModelGroup? other) => other is not null && Strategy == other.Strategy && Members.SequenceEqual(other.Members);

    public override int GetHashCode() => HashCode.Combine(Strategy, Members.Count);
}

/// <summary>Creates the group <see cref="Name"/> or replaces its members and strategy. Lives in the stream of that name.</summary>
public sealed record ModelGroupSet(string Name, IReadOnlyList<string> Members, string Strategy, string SetBy, DateTimeOffset SetAt);

/// <summary>
/// What an operator pays for one deployment when it differs from the model's price (a negotiated rate, a cheaper
/// region), USD per 1M tokens. The cost-based strategy ranks by it; the ledger still charges the model's price.
/// </summary>
public sealed record DeploymentPrice(decimal InputPer1M, decimal OutputPer1M);
