using Governance.Domain.Budgets;
using Governance.Domain.Keys;

namespace Governance.Domain.Access;

/// <summary>
/// A request the gateway refused, so it can be explained later. Stream: the request id (as for a completed request).
/// Never carries the presented key: <paramref name="KeyId"/> is the id embedded in it (even when its secret did not match),
/// null when it had none; <paramref name="App"/> is set only when the key was recognised.
/// For <c>budget_exceeded</c>, <paramref name="Level"/>, <paramref name="Owner"/> and <paramref name="Remaining"/> name the
/// level that lacked headroom and what it had left, and <paramref name="WorstCaseCost"/> what the request needed.
/// </summary>
public sealed record RequestDenied(
    string RequestId,
    string? KeyId,
    string? App,
    string Model,
    string Reason,
    string? Level,
    string? Owner,
    decimal? Remaining,
    decimal? WorstCaseCost,
    string DeniedBy,
    DateTimeOffset DeniedAt)
{
    public const int MaxModelLength = 200;

    /// <summary>The end user's keyed pseudonym, when the request named one and it was read before the refusal.</summary>
    public string? User { get; init; }

    /// <summary>The request's tags (sorted, the key's own included), when they were read before the refusal.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The denial as recorded: a model name longer than any real one is cut, so a caller can't bloat the history.</summary>
    public static RequestDenied Of(string requestId, string? presentedKey, AccessDecision decision, string model, string deniedBy, DateTimeOffset now) =>
        new(requestId, decision.KeyId ?? KeyFormat.TryGetKeyId(presentedKey), decision.App, Truncate(model),
            decision.Reason ?? DenialReasons.UnknownKey, null, null, null, null, deniedBy, now);

    /// <summary>The key was fine but a budget level could not cover the worst case.</summary>
    public static RequestDenied OverBudget(
        string requestId, AccessDecision decision, string model, BudgetStanding shortfall, decimal worstCase, string deniedBy, DateTimeOffset now) =>
        new(requestId, decision.KeyId, decision.App, Truncate(model), DenialReasons.BudgetExceeded, shortfall.Level.ToString().ToLowerInvariant(),
            shortfall.Owner, shortfall.Remaining, worstCase, deniedBy, now);

    public static string Truncate(string model) => model.Length <= MaxModelLength ? model : model[..MaxModelLength];
}
