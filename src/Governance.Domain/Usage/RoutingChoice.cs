namespace Governance.Domain.Usage;

/// <summary>
/// Which routing strategy put <see cref="Chosen"/> (a deployment, <c>provider/upstream-model</c>) first in line for a
/// request, and why, in words an operator reads (<c>cheapest: $0.02 in + $0 out per 1M</c>). The deployment that answered
/// is the request's own <c>deployment</c>: another one when the chosen one failed (its failed attempt says so).
/// </summary>
public sealed record RoutingChoice(string Strategy, string Chosen, string Reason)
{
    public const int MaxReasonLength = 200;
}
