using Marten;

namespace Governance.Projections.Audit;

public static class AuditTrail
{
    /// <summary>
    /// Who, on whose behalf and in which chain: Marten's user name, correlation and causation columns on every event
    /// (filled by <see cref="AuditAttribution"/>), the headers column where the chain trigger stores the hashes, and
    /// the trigger itself (<see cref="AuditChainFeature"/>).
    /// </summary>
    public static StoreOptions ConfigureAuditTrail(this StoreOptions opts)
    {
        opts.Events.MetadataConfig.UserNameEnabled = true;
        opts.Events.MetadataConfig.CorrelationIdEnabled = true;
        opts.Events.MetadataConfig.CausationIdEnabled = true;
        opts.Events.MetadataConfig.HeadersEnabled = true;
        opts.Listeners.Add(new AuditAttribution());
        opts.Storage.Add(new AuditChainFeature(opts));
        return opts;
    }
}
