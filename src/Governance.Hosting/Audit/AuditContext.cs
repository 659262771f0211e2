namespace Governance.Hosting.Audit;

/// <summary>Who is writing (operator token id, <c>adapter:&lt;id&gt;</c> or <c>system:&lt;reason&gt;</c>) and on behalf of which request.</summary>
public sealed record AuditActor(string Actor, string? CorrelationId, string? CausationId = null);

/// <summary>
/// The actor of the work running on this logical call path, set once at each entry point (an HTTP request, a Wolverine
/// message, a hosted service) and stamped on every event that work appends by <see cref="AuditAttribution"/>. An
/// <see cref="AsyncLocal{T}"/> flows into every await below the entry point and never back out of it, so two requests
/// never see each other's actor.
/// </summary>
public static class AuditContext
{
    /// <summary>Recorded when an event is appended outside any entry point that names its actor: a gap to fix, never expected.</summary>
    public const string Unattributed = "system:unattributed";

    private static readonly AsyncLocal<AuditActor?> CurrentActor = new();

    public static AuditActor? Current => CurrentActor.Value;

    /// <summary>Sets the actor until the returned scope is disposed (then the previous one is back).</summary>
    public static IDisposable Begin(AuditActor actor)
    {
        var previous = CurrentActor.Value;
        CurrentActor.Value = actor;
        return new Scope(previous);
    }

    /// <summary>
    /// Sets the actor for the rest of the calling async method (and what it awaits). For framework hooks that cannot
    /// wrap the work in a <c>using</c>, such as Wolverine middleware.
    /// </summary>
    public static void Set(AuditActor? actor) => CurrentActor.Value = actor;

    /// <summary>"system:" and a reason: background work nobody asked for in that instant (expiry, seeding, checks).</summary>
    public static string System(string reason) => "system:" + reason;

    private sealed class Scope(AuditActor? previous) : IDisposable
    {
        public void Dispose() => CurrentActor.Value = previous;
    }
}
