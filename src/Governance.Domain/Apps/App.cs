using Governance.Domain.Budgets;

namespace Governance.Domain.Apps;

/// <summary>An application: which team it belongs to, if any. Stream: "app:{name}".</summary>
public sealed record App(string Id, string Name, string? Team)
{
    public static App? Evolve(App? state, object @event) => @event switch
    {
        AppTeamAssigned e => new App(BudgetIds.App(e.App), e.App, e.Team),
        _ => state,
    };
}
