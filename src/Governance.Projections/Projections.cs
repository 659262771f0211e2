using Governance.Domain.Alerts;
using Governance.Domain.Approvals;
using Governance.Domain.Apps;
using Governance.Domain.Budgets;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;
using Governance.Domain.Leaks;
using Governance.Domain.Operators;
using Governance.Domain.Pricing;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace Governance.Projections;

// Write-side read models are inline single-stream projections: the document is committed in the same
// transaction as the event, so an allow/deny read never lags the write that changed it.
// Each one delegates to the domain's pure Evolve, so rebuilding from events gives the same document.
// Each one names the events its Evolve reacts to (IncludeType): an append then only runs the projections its events
// concern, and a rebuild reads only those events instead of the whole store. ProjectionEventTypesTests checks the
// lists against the Evolve functions.

public sealed partial class VirtualKeyProjection : SingleStreamProjection<VirtualKey, string>
{
    public VirtualKeyProjection()
    {
        IncludeType<KeyIssued>();
        IncludeType<KeyRevoked>();
        IncludeType<KeyRotated>();
        IncludeType<KeySuspended>();
        IncludeType<KeyResumed>();
        IncludeType<KeyScopeChanged>();
        IncludeType<KeyPolicyChanged>();
        IncludeType<SpendAnomalyDetected>();
        IncludeType<KeyRateLimitsSet>();
    }

    public override VirtualKey? Evolve(VirtualKey? snapshot, string id, IEvent e) => VirtualKey.Evolve(snapshot, e.Data);
}

public sealed partial class ProviderProjection : SingleStreamProjection<Provider, string>
{
    public ProviderProjection()
    {
        IncludeType<ProviderRegistered>();
        IncludeType<ProviderKeyReencrypted>();
        IncludeType<ProviderKeyFingerprinted>();
        IncludeType<ProviderKeyRotated>();
    }

    public override Provider? Evolve(Provider? snapshot, string id, IEvent e) => Provider.Evolve(snapshot, e.Data);
}

public sealed partial class ModelProjection : SingleStreamProjection<ModelDefinition, string>
{
    public ModelProjection()
    {
        IncludeType<ModelRegistered>();
        IncludeType<PriceSet>();
        IncludeType<ModelPolicySet>();
        IncludeType<ModelDeploymentsSet>();
        IncludeType<ModelFallbacksSet>();
        IncludeType<ModelGroupSet>();
    }

    public override ModelDefinition? Evolve(ModelDefinition? snapshot, string id, IEvent e) => ModelDefinition.Evolve(snapshot, e.Data);
}

public sealed partial class OperatorTokenProjection : SingleStreamProjection<OperatorToken, string>
{
    public OperatorTokenProjection()
    {
        IncludeType<OperatorTokenIssued>();
        IncludeType<OperatorTokenRevoked>();
    }

    public override OperatorToken? Evolve(OperatorToken? snapshot, string id, IEvent e) => OperatorToken.Evolve(snapshot, e.Data);
}

public sealed partial class BudgetProjection : SingleStreamProjection<Budget, string>
{
    public BudgetProjection()
    {
        IncludeType<BudgetSet>();
    }

    public override Budget? Evolve(Budget? snapshot, string id, IEvent e) => Budget.Evolve(snapshot, e.Data);
}

public sealed partial class BudgetWindowProjection : SingleStreamProjection<BudgetWindowState, string>
{
    public BudgetWindowProjection()
    {
        IncludeType<BudgetWindowOpened>();
        IncludeType<HoldPlaced>();
        IncludeType<HoldCaptured>();
        IncludeType<HoldReleased>();
        IncludeType<SpendSettled>();
        IncludeType<BudgetThresholdCrossed>();
        IncludeType<LeaseGranted>();
        IncludeType<LeaseExtended>();
        IncludeType<LeaseDrawn>();
        IncludeType<LeaseReturned>();
        IncludeType<LeaseRecalled>();
        IncludeType<LeaseExpired>();
    }

    public override BudgetWindowState? Evolve(BudgetWindowState? snapshot, string id, IEvent e) => BudgetWindowState.Evolve(snapshot, id, e.Data);
}

public sealed partial class ReservationProjection : SingleStreamProjection<Reservation, string>
{
    public ReservationProjection()
    {
        IncludeType<ReservationOpened>();
        IncludeType<ReservationCaptured>();
        IncludeType<ReservationExpired>();
    }

    public override Reservation? Evolve(Reservation? snapshot, string id, IEvent e) => Reservation.Evolve(snapshot, e.Data);
}

public sealed partial class AppProjection : SingleStreamProjection<App, string>
{
    public AppProjection()
    {
        IncludeType<AppTeamAssigned>();
        IncludeType<AppLeakPolicySet>();
    }

    public override App? Evolve(App? snapshot, string id, IEvent e) => App.Evolve(snapshot, e.Data);
}

public sealed partial class WebhookProjection : SingleStreamProjection<Webhook, string>
{
    public WebhookProjection()
    {
        IncludeType<WebhookConfigured>();
        IncludeType<WebhookSecretReencrypted>();
    }

    public override Webhook? Evolve(Webhook? snapshot, string id, IEvent e) => Webhook.Evolve(snapshot, e.Data);
}

public sealed partial class AccessRequestProjection : SingleStreamProjection<AccessRequest, string>
{
    public AccessRequestProjection()
    {
        IncludeType<AccessRequested>();
        IncludeType<AccessApproved>();
        IncludeType<AccessGranted>();
        IncludeType<AccessRejected>();
        IncludeType<AccessWithdrawn>();
        IncludeType<AccessRequestLapsed>();
        IncludeType<GrantExpired>();
        IncludeType<GrantRevoked>();
    }

    public override AccessRequest? Evolve(AccessRequest? snapshot, string id, IEvent e) => AccessRequest.Evolve(snapshot, e.Data);
}
