using Governance.Hosting.Audit;
using Marten;

namespace Governance.Projections.Audit;

/// <summary>
/// Stamps every event a session is about to write with the actor and correlation id of <see cref="AuditContext"/>, in
/// Marten's <c>user_name</c>, <c>correlation_id</c> and <c>causation_id</c> columns. Registered once on the store, so it
/// sees every session: those Wolverine opens for handlers and endpoints, and those our code opens itself.
/// </summary>
/// <remarks>
/// Marten copies the session's metadata onto the events before listeners run, and builds the insert command after
/// them, so the events are stamped here directly. An actor someone set explicitly on the session is kept; the
/// correlation id of the entry point wins over the one Wolverine derives for its own messages.
/// </remarks>
internal sealed class AuditAttribution : DocumentSessionListenerBase
{
    public override Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token)
    {
        var who = AuditContext.Current;
        foreach (var stream in session.PendingChanges.Streams())
        {
            foreach (var e in stream.Events)
            {
                e.UserName ??= who?.Actor ?? AuditContext.Unattributed;
                if (who?.CorrelationId is { } correlation)
                    e.CorrelationId = correlation;
                e.CausationId ??= who?.CausationId;
            }
        }
        return Task.CompletedTask;
    }
}
