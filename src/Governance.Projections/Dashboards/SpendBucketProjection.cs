using Governance.Domain.Usage;
using Governance.Projections.Hosting;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Projections;

namespace Governance.Projections.Dashboards;

/// <summary>
/// Hourly spend per key, app, model and team, fanned out from the ledger's request streams. Registered Async: the
/// daemon applies events in sequence order from one node, so concurrent proxies never race on a bucket's sums,
/// and the ledger append on the hot path does not pay for four extra document upserts.
/// </summary>
public sealed partial class SpendBucketProjection : MultiStreamProjection<SpendBucket, string>, IFoldedByIdentity
{
    public SpendBucketProjection()
    {
        Identities<RequestCompleted>(SpendBucket.IdsFor);
        // Named explicitly: with Evolve overridden, the daemon would otherwise read every event of the store.
        IncludeType<RequestCompleted>();
    }

    public override SpendBucket? Evolve(SpendBucket? snapshot, string id, IEvent e) =>
        e.Data is RequestCompleted completed ? SpendBucket.Add(snapshot, id, completed) : snapshot;

    /// <summary>The same buckets as <c>Identities</c> above, for the fast rebuild.</summary>
    public IReadOnlyList<string> IdsFor(object @event) => @event is RequestCompleted completed ? SpendBucket.IdsFor(completed) : [];
}

public static class DashboardStore
{
    /// <summary>The spend dashboards' read model. Needs the async daemon (<c>AddAsyncDaemon</c>) on the node that should build it.</summary>
    public static StoreOptions ConfigureDashboards(this StoreOptions opts)
    {
        opts.Projections.Add<SpendBucketProjection>(ProjectionLifecycle.Async);
        // Every dashboard query is "one dimension, a range of hours".
        opts.Schema.For<SpendBucket>().Index(x => new { x.Dimension, x.Hour });
        return opts;
    }
}
