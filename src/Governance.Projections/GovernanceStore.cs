using Governance.Domain.Catalog;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Governance.Domain.Usage;
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
        // Rich mode checks the expected stream version inside the append, so concurrent writers get a conflict.
        opts.Events.AppendMode = EventAppendMode.Rich;

        MapEvents(opts.Events);

        opts.Projections.Add<VirtualKeyProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<ProviderProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<ModelProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<RequestRecordProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Add<OperatorTokenProjection>(ProjectionLifecycle.Inline);

        opts.Schema.For<VirtualKey>().Index(x => x.App);
        opts.Schema.For<RequestRecord>().Index(x => x.KeyId).Index(x => x.CompletedAt);
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
        events.MapEventType<ProviderRegistered>("provider_registered");
        events.MapEventType<ModelRegistered>("model_registered");
        events.MapEventType<RequestCompleted>("request_completed");
        events.MapEventType<OperatorTokenIssued>("operator_token_issued");
    }
}
