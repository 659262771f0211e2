using Governance.Domain.Access;

namespace ProxyAdapter.Pipeline;

/// <summary>
/// How a call ends before it is forwarded: the answer in the caller's error shape, and what is kept of it. The gateway
/// turns every refusal into metric, denial record and answer in one place (<see cref="Gateway"/>).
/// </summary>
/// <param name="Answer">What the caller gets.</param>
/// <param name="Counted">The reason counted in the decisions metric; null for a call refused before any decision (its body).</param>
/// <param name="Denial">Recorded as <c>request_denied</c>, so it can be explained; null for what is only counted.</param>
/// <param name="BodyUnread">Answered before the body was read to its end: HTTP/1.x closes the connection after it.</param>
public sealed record Refusal(IResult Answer, string? Counted = null, RequestDenied? Denial = null, bool BodyUnread = false);

/// <summary>A stage's result: the next state, or the refusal that ends the call.</summary>
public readonly struct Step<T> where T : class
{
    private Step(T? next, Refusal? refusal) => (Next, Refusal) = (next, refusal);

    public T? Next { get; }
    public Refusal? Refusal { get; }

    public static implicit operator Step<T>(T next) => new(next, null);
    public static implicit operator Step<T>(Refusal refusal) => new(null, refusal);
}
