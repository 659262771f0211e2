using Governance.Api.Approvals;
using Governance.Api.Budgets;
using Governance.Api.Keys;
using Governance.Domain.Access;
using Governance.Domain.Approvals;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;
using Governance.Domain.Pricing;

namespace Governance.Api.Audit;

/// <summary>
/// Why a request was allowed or denied: the decision as recorded, and what it was decided on, rebuilt from the events as
/// they stood at <see cref="DecidedAt"/>: the key, the model's policy, the price, the grant, and every budget level
/// (before this request's own hold). <see cref="Checks"/> replays the allow/deny rules on that state.
/// </summary>
public sealed record Explanation(
    string RequestId,
    string Decision,
    string? Reason,
    DateTimeOffset DecidedAt,
    string RecordedBy,
    string? KeyId,
    string? App,
    string? Team,
    string Model,
    KeyView? Key,
    ModelPolicy? Policy,
    PriceVersion? Price,
    AccessRequestView? Grant,
    string? ReservationId,
    decimal? WorstCaseCost,
    IReadOnlyList<BudgetStatus> Budgets,
    Shortfall? Shortfall,
    IReadOnlyList<Check> Checks,
    RequestOutcome? Outcome);

/// <summary>One allow/deny rule and how the state at the decision fared against it.</summary>
public sealed record Check(string Name, bool Passed, string Detail);

/// <summary>The budget level that could not cover the worst case, as recorded with the denial.</summary>
public sealed record Shortfall(string Level, string Owner, decimal Remaining);

/// <summary>What a completed request did and cost, from its ledger entry.</summary>
public sealed record RequestOutcome(
    int Status, long InputTokens, long CachedTokens, long OutputTokens, long ReasoningTokens, decimal Cost, int? PriceVersion, long LatencyMs,
    DateTimeOffset OccurredAt, DateTimeOffset RecordedAt);

/// <summary>The allow/deny rules replayed on reconstructed state. Pure.</summary>
public static class DecisionChecks
{
    public static IReadOnlyList<Check> Evaluate(
        string? reason, VirtualKey? key, string model, ModelDefinition? definition, AccessRequest? grant,
        IReadOnlyList<PastStanding> budgets, decimal? amount, DateTimeOffset at)
    {
        // The secret itself is never stored, so whether it matched comes from the recorded decision.
        List<Check> checks = [reason switch
        {
            DenialReasons.UnknownKey => new Check("credential", false, "The presented key matched no key's current secret, nor a rotated key's previous secret."),
            DenialReasons.Rotated => new Check("credential", false,
                $"The presented key was the previous secret of a rotated key, used after its grace period ended ({key?.PreviousValidUntil:O})."),
            _ => new Check("credential", true, "The presented key matched the key's secret."),
        }];
        if (key is null)
            return checks;

        checks.Add(new Check("key_status", key.Status == KeyStatus.Active,
            key.StatusReason is null ? Lower(key.Status) : $"{Lower(key.Status)}: {key.StatusReason}"));
        checks.Add(new Check("key_expiry", !key.IsExpiredAt(at),
            key.ExpiresAt is not { } expiry ? "No expiry." : key.IsExpiredAt(at) ? $"Expired at {expiry:O}." : $"Expires at {expiry:O}."));
        // The proxy also needs a route to forward; a gateway asking /api/authorize does not, so the recorded reason decides.
        checks.Add(new Check("model_registered", definition is not null && reason != DenialReasons.UnknownModel,
            definition is null ? $"No model '{model}' existed." : definition.IsRouted ? $"Routed to {definition.Provider}/{definition.UpstreamModel}." : "Priced, but not routed to a provider."));
        checks.Add(new Check("model_in_scope", key.Allows(model), $"The key's models: {string.Join(", ", key.Models)}."));
        // Counts live in the adapter's memory only; the recorded reason says a limit was reached, the key shows which limits it had.
        if (reason == DenialReasons.RateLimited)
            checks.Add(new Check("rate_limits", false, $"The key's limits were reached: {Limit(key.Limits.RequestsPerMinute, "requests/min")}, "
                + $"{Limit(key.Limits.TokensPerMinute, "tokens/min")}, {Limit(key.Limits.MaxParallel, "in parallel")}."));
        if (definition is null)
            return checks;

        var price = definition.PriceAt(at);
        checks.Add(new Check("model_priced", price is not null,
            price is null ? "No price was in effect." : $"Price version {price.Version}: {price.InputPer1M} / {price.OutputPer1M} USD per 1M input / output tokens."));
        if (definition.IsRestricted)
            checks.Add(new Check("grant", grant is not null && grant.IsActiveAt(at),
                grant is null ? "The model is restricted and no grant covered the key."
                : $"Grant {grant.Id} ({(grant.KeyId is null ? "app " + grant.App : "key " + grant.KeyId)}), {grant.GrantStart:O} to {grant.GrantExpiry:O}, {Lower(grant.Status)}."));
        foreach (var budget in budgets)
        {
            var s = budget.Standing;
            var fits = amount is { } needed ? needed <= s.Remaining : s.Remaining >= 0;
            checks.Add(new Check($"budget_{Lower(s.Level)}", fits,
                $"{s.Remaining} of {s.Limit} USD left ({s.Settled} settled, {s.Held} held) in the {s.Window.Label} window of '{s.Owner}'"
                + (amount is { } a ? $"; the worst case needed {a}." : ".")));
        }
        return checks;
    }

    private static string Limit(long? limit, string unit) => limit is { } l ? $"{l} {unit}" : $"unlimited {unit}";

    private static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();
}
