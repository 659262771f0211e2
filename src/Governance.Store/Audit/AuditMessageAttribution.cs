using Governance.Hosting.Audit;
using Governance.Projections.Approvals;
using Governance.Projections.Usage;
using Governance.Store.Budgets;
using Governance.Store.Leases;
using Wolverine;

namespace Governance.Store.Audit;

/// <summary>The actor that was current before a message handler ran, put back when it ends.</summary>
public sealed record AuditMessageScope(AuditActor? Previous);

/// <summary>
/// Wolverine middleware on every message handler: the events a handler appends are the system's own doing
/// (<c>system:&lt;reason&gt;</c>), correlated with the request that sent the message and caused by the message itself.
/// </summary>
public static class AuditMessageAttribution
{
    private static readonly Dictionary<Type, string> Reasons = new()
    {
        [typeof(ExpireReservation)] = "hold-expiry",
        [typeof(ExpireGrant)] = "grant-expiry",
        [typeof(LapseAccessRequest)] = "access-request-lapse",
        [typeof(CheckSpendAnomaly)] = "anomaly-check",
        [typeof(ExpireLease)] = "lease-expiry",
    };

    public static AuditMessageScope Before(Envelope envelope)
    {
        var previous = AuditContext.Current;
        AuditContext.Set(new AuditActor(ActorFor(envelope.Message), envelope.CorrelationId ?? envelope.Id.ToString(), envelope.Id.ToString()));
        return new AuditMessageScope(previous);
    }

    public static void Finally(AuditMessageScope scope) => AuditContext.Set(scope.Previous);

    /// <summary>"system:hold-expiry" for the known background messages, else "system:" and the message type in kebab case.</summary>
    public static string ActorFor(object? message) =>
        AuditContext.System(message is null ? "message" : Reasons.GetValueOrDefault(message.GetType()) ?? Kebab(message.GetType().Name));

    private static string Kebab(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "-" : "") + char.ToLowerInvariant(c) : c.ToString()));
}
