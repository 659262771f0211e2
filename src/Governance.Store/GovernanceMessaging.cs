using Governance.Projections.Alerts;
using Governance.Store.Audit;
using Wolverine;
using Wolverine.ErrorHandling;

namespace Governance.Store;

public static class GovernanceMessaging
{
    /// <summary>
    /// Wolverine settings every node shares: our handlers (the books' expiries here, webhook delivery in Governance.Projections), durable local queues (messages survive a crash in
    /// PostgreSQL) and the webhook retry schedule.
    /// </summary>
    public static WolverineOptions ConfigureGovernanceMessaging(this WolverineOptions opts)
    {
        opts.Discovery.IncludeAssembly(typeof(GovernanceMessaging).Assembly);
        opts.Discovery.IncludeAssembly(typeof(WebhookDeliveryFailed).Assembly);
        opts.Policies.AutoApplyTransactions();
        opts.Policies.UseDurableLocalQueues();
        // Events a handler appends are attributed to "system:<reason>" (docs/audit.md).
        opts.Policies.AddMiddleware(typeof(AuditMessageAttribution));
        opts.Policies.OnException<WebhookDeliveryFailed>()
            .ScheduleRetry(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2),
                TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(6));
        return opts;
    }
}
