using Governance.Domain.Access;
using Governance.Domain.Alerts;
using Governance.Domain.Approvals;
using Governance.Domain.Budgets;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;
using Governance.Domain.Leaks;
using Governance.Domain.Operators;
using Governance.Domain.Pricing;
using Governance.Domain.Usage;
using Governance.Projections.Audit;
using Governance.Projections.Dashboards;
using Governance.Projections.Feed;
using Governance.Projections.Leases;
using Governance.Projections.Usage;
using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;

namespace Governance.Projections;

public static class GovernanceStore
{
    /// <summary>
    /// The one store configuration shared by the API and every proxy adapter: same event names,
    /// same projections, same schema, so any node can read what any other node wrote.
    /// </summary>
    public static StoreOptions ConfigureGovernance(this StoreOptions opts, string connectionString, string schema)
    {
        opts.Connection(connectionString);
        opts.DatabaseSchemaName = schema;
        opts.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
        opts.Events.StreamIdentity = StreamIdentity.AsString;
        // Quick append: one database function call per stream instead of a read-then-write per stream. It still checks
        // the expected version inside that call, so concurrent writers to one stream get a conflict (409).
        // "WithServerTimestamps": the event's timestamp comes from Events.TimeProvider (the injected clock, set in
        // AddGovernanceStore), not PostgreSQL's now(), so "as of" reads agree with the times inside the events.
        opts.Events.AppendMode = EventAppendMode.QuickWithServerTimestamps;

        MapEvents(opts.Events);
        // Actor and correlation id on every event, and the hash chain trigger (docs/audit.md).
        opts.ConfigureAuditTrail();

        opts.Projections.Add<VirtualKeyProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<ProviderProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<ModelProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<RequestLogProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<OperatorTokenProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<BudgetProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<BudgetWindowProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<ReservationProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<AppProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<WebhookProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<AccessRequestProjection>(ProjectionLifecycle.Inline);
        // Dashboards are async: the daemon (on one API node, HotCold) folds them behind the writes.
        opts.ConfigureDashboards();
        // The lease index (inline) and the change feed's NOTIFY trigger on mt_events (docs/leases-and-feed.md).
        opts.ConfigureLeases();
        opts.ConfigureFeed();

        opts.Schema.For<VirtualKey>().Index(x => x.App);
        opts.Schema.For<Reservation>().Index(x => x.ExpiresAt);
        opts.Schema.For<AccessRequest>().Index(x => x.Model).Index(x => x.Status);
        return opts;
    }

    // Stable persisted names: the history must outlive any class rename.
    private static void MapEvents(Marten.Events.IEventStoreOptions events)
    {
        events.MapEventType<KeyIssued>("key_issued");
        events.MapEventType<KeyRevoked>("key_revoked");
        events.MapEventType<KeyRotated>("key_rotated");
        events.MapEventType<KeySuspended>("key_suspended");
        events.MapEventType<KeyResumed>("key_resumed");
        events.MapEventType<KeyScopeChanged>("key_scope_changed");
        events.MapEventType<KeyPolicyChanged>("key_policy_changed");
        events.MapEventType<SpendAnomalyDetected>("spend_anomaly_detected");
        events.MapEventType<KeyRateLimitsSet>("key_rate_limits_set");
        events.MapEventType<ProviderRegistered>("provider_registered");
        events.MapEventType<ProviderKeyReencrypted>("provider_key_reencrypted");
        events.MapEventType<ProviderKeyFingerprinted>("provider_key_fingerprinted");
        events.MapEventType<ProviderKeyRotated>("provider_key_rotated");
        events.MapEventType<ModelRegistered>("model_registered");
        events.MapEventType<RequestCompleted>("request_completed");
        events.MapEventType<OperatorTokenIssued>("operator_token_issued");
        events.MapEventType<OperatorTokenRevoked>("operator_token_revoked");
        events.MapEventType<PriceSet>("price_set");
        events.MapEventType<AppTeamAssigned>("app_team_assigned");
        events.MapEventType<BudgetSet>("budget_set");
        events.MapEventType<BudgetWindowOpened>("budget_window_opened");
        events.MapEventType<HoldPlaced>("hold_placed");
        events.MapEventType<HoldCaptured>("hold_captured");
        events.MapEventType<HoldReleased>("hold_released");
        events.MapEventType<SpendSettled>("spend_settled");
        events.MapEventType<BudgetThresholdCrossed>("budget_threshold_crossed");
        events.MapEventType<ReservationOpened>("reservation_opened");
        events.MapEventType<ReservationCaptured>("reservation_captured");
        events.MapEventType<ReservationExpired>("reservation_expired");
        events.MapEventType<WebhookConfigured>("webhook_configured");
        events.MapEventType<WebhookSecretReencrypted>("webhook_secret_reencrypted");
        events.MapEventType<ModelPolicySet>("model_policy_set");
        events.MapEventType<AccessRequested>("access_requested");
        events.MapEventType<AccessApproved>("access_approved");
        events.MapEventType<AccessGranted>("access_granted");
        events.MapEventType<AccessRejected>("access_rejected");
        events.MapEventType<AccessWithdrawn>("access_withdrawn");
        events.MapEventType<AccessRequestLapsed>("access_request_lapsed");
        events.MapEventType<GrantExpired>("grant_expired");
        events.MapEventType<GrantRevoked>("grant_revoked");
        events.MapEventType<AuditCheckpointed>("audit_checkpoint");
        events.MapEventType<ModelDeploymentsSet>("model_deployments_set");
        events.MapEventType<ModelFallbacksSet>("model_fallbacks_set");
        events.MapEventType<ModelGroupSet>("model_group_set");
        events.MapEventType<LeaseGranted>("lease_granted");
        events.MapEventType<LeaseExtended>("lease_extended");
        events.MapEventType<LeaseDrawn>("lease_drawn");
        events.MapEventType<LeaseReturned>("lease_returned");
        events.MapEventType<LeaseRecalled>("lease_recalled");
        events.MapEventType<LeaseExpired>("lease_expired");
        events.MapEventType<RequestDenied>("request_denied");
        events.MapEventType<RefusalsCounted>("refusals_counted");
        events.MapEventType<AppLeakPolicySet>("app_leak_policy_set");
        events.MapEventType<LeakReported>("leak_reported");
        events.MapEventType<Governance.Domain.Archive.RequestEventsArchived>("request_events_archived");
        events.MapEventType<Governance.Domain.Archive.ArchiveSegmentRestored>("archive_segment_restored");
        events.MapEventType<Governance.Domain.Archive.ArchiveSegmentDeleted>("archive_segment_deleted");
    }
}
