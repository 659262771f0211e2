using Governance.Domain.Budgets;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Projections;

namespace Governance.Projections.Leases;

/// <summary>
/// The lease index, by lease id, from the lease events on the window streams. Inline: a lease id is usable (renew,
/// return, usage) as soon as the grant commits. Draws are left out: the money is the window's business.
/// </summary>
public sealed partial class LeaseProjection : MultiStreamProjection<BudgetLease, string>
{
    public LeaseProjection()
    {
        Identity<LeaseGranted>(e => e.LeaseId);
        Identity<LeaseExtended>(e => e.LeaseId);
        Identity<LeaseExpired>(e => e.LeaseId);
    }

    public override BudgetLease? Evolve(BudgetLease? snapshot, string id, IEvent e) => BudgetLease.Evolve(snapshot, e.Data);
}

public static class LeaseStore
{
    public static StoreOptions ConfigureLeases(this StoreOptions opts)
    {
        opts.Projections.Add<LeaseProjection>(ProjectionLifecycle.Inline);
        // Counting an adapter's open leases (its cap) reads them by adapter id.
        opts.Schema.For<BudgetLease>().Index(x => x.AdapterId);
        // The fleet's shares of keys' rate limits (plain tables: coordination state, not history).
        opts.Storage.Add(new RateLeaseTables(opts));
        return opts;
    }
}
