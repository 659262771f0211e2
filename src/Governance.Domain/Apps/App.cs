using Governance.Domain.Budgets;
using Governance.Domain.Leaks;

namespace Governance.Domain.Apps;

/// <summary>An application: which team it belongs to, if any, and what a reported leak of its keys does. Stream: "app:{name}".</summary>
public sealed record App(string Id, string Name, string? Team)
{
    /// <summary>One of <see cref="LeakPolicies"/>; <see cref="LeakPolicies.Default"/> until an admin sets one.</summary>
    public string LeakPolicy { get; init; } = LeakPolicies.Default;

    public static App? Evolve(App? state, object @event) => @event switch
    {
        AppTeamAssigned e => (state ?? New(e.App)) with { Team = e.Team },
        AppLeakPolicySet e => (state ?? New(e.App)) with { LeakPolicy = e.Policy },
        _ => state,
    };

    public static App New(string name) => new(BudgetIds.App(name), name, null);
}
