using Governance.Domain.Alerts;
using Governance.Domain.Apps;
using Governance.Domain.Approvals;
using Governance.Domain.Budgets;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Governance.Domain.Usage;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace Governance.Projections;

// Write-side read models are inline single-stream projections: the document is committed in the same
// transaction as the event, so an allow/deny read never lags the write that changed it.
// Each one delegates to the domain's pure Evolve, so rebuilding from events gives the same document.

public sealed partial class VirtualKeyProjection : SingleStreamProjection<VirtualKey, string>
{
    public override VirtualKey? Evolve(VirtualKey? snapshot, string id, IEvent e) => VirtualKey.Evolve(snapshot, e.Data);
}

public sealed partial class ProviderProjection : SingleStreamProjection<Provider, string>
{
    public override Provider? Evolve(Provider? snapshot, string id, IEvent e) => Provider.Evolve(snapshot, e.Data);
}

public sealed partial class ModelProjection : SingleStreamProjection<ModelDefinition, string>
{
    public override ModelDefinition? Evolve(ModelDefinition? snapshot, string id, IEvent e) => ModelDefinition.Evolve(snapshot, e.Data);
}

public sealed partial class OperatorTokenProjection : SingleStreamProjection<OperatorToken, string>
{
    public override OperatorToken? Evolve(OperatorToken? snapshot, string id, IEvent e) => OperatorToken.Evolve(snapshot, e.Data);
}

public sealed partial class BudgetProjection : SingleStreamProjection<Budget, string>
{
    public override Budget? Evolve(Budget? snapshot, string id, IEvent e) => Budget.Evolve(snapshot, e.Data);
}

public sealed partial class BudgetWindowProjection : SingleStreamProjection<BudgetWindowState, string>
{
    public override BudgetWindowState? Evolve(BudgetWindowState? snapshot, string id, IEvent e) => BudgetWindowState.Evolve(snapshot, id, e.Data);
}

public sealed partial class ReservationProjection : SingleStreamProjection<Reservation, string>
{
    public override Reservation? Evolve(Reservation? snapshot, string id, IEvent e) => Reservation.Evolve(snapshot, e.Data);
}

public sealed partial class AppProjection : SingleStreamProjection<App, string>
{
    public override App? Evolve(App? snapshot, string id, IEvent e) => App.Evolve(snapshot, e.Data);
}

public sealed partial class WebhookProjection : SingleStreamProjection<Webhook, string>
{
    public override Webhook? Evolve(Webhook? snapshot, string id, IEvent e) => Webhook.Evolve(snapshot, e.Data);
}

public sealed partial class AccessRequestProjection : SingleStreamProjection<AccessRequest, string>
{
    public override AccessRequest? Evolve(AccessRequest? snapshot, string id, IEvent e) => AccessRequest.Evolve(snapshot, e.Data);
}
