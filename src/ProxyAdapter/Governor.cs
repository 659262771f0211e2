using Governance.Contracts.Usage;
using Governance.Domain.Access;
using Governance.Domain.Approvals;
using Governance.Domain.Budgets;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;
using Governance.Domain.Pricing;

namespace ProxyAdapter;

/// <summary>A model a call may be served by, priced now, with the deployments whose provider exists.</summary>
public sealed record CandidateModel(ModelDefinition Definition, PriceVersion Price, IReadOnlyList<ProviderRoute> Routes);

public sealed record ProviderRoute(Deployment Deployment, Provider Provider);

/// <summary>Allow/deny for the requested model, the grant that admits it, and every model the call may reach (requested one first).</summary>
public sealed record Admission(AccessDecision Decision, AccessRequest? Grant, IReadOnlyList<CandidateModel> Models)
{
    /// <summary>The admitted key's requests/min, tokens/min and parallel limits, as the governor's copy shows them now.</summary>
    public KeyRateLimits Limits { get; init; } = KeyRateLimits.None;

    /// <summary>How many of <see cref="Models"/>, from the first, are routed as one pool: 1, or a model group's members.</summary>
    public int Primary { get; init; } = 1;

    /// <summary>The routing strategy of that pool: a group's, or weighted for a plain model (docs/routing.md).</summary>
    public string Strategy { get; init; } = RoutingStrategies.Weighted;
}

/// <summary>
/// A request admitted under this adapter's budget leases: its worst case is drawn from their slices until its usage is
/// recorded, which binds the leases to the request (<see cref="IGovernor.RecordAsync"/>). Not a reservation: nothing is
/// held in the API's budget windows for it.
/// </summary>
public sealed record LeaseAdmission(string Id);

/// <summary>
/// The answer to a hold: <see cref="Admission"/> when the worst case fits, else the level that lacked headroom
/// (<see cref="Shortfall"/>), or a refusal that is not a budget's (<see cref="Refusal"/>: the API's lease answer, or
/// <c>governance_unavailable</c>).
/// </summary>
public sealed record HoldAnswer(LeaseAdmission? Admission, BudgetStanding? Shortfall, string? Refusal);

/// <summary>
/// The proxy's three governance steps — decide, hold the worst case, record what happened — behind one seam. The
/// proxy's governor is <see cref="Governance.LeaseGovernor"/>: from memory, with budget leases (docs/gateway.md).
/// </summary>
public interface IGovernor
{
    /// <summary>
    /// The key alone, from the headers, before the body is read: shape and checksum, known, its secret, revoked, expired,
    /// rotated out, suspended (<see cref="AccessDecision.Authenticate"/>). Allowed means <see cref="DecideAsync"/> may follow.
    /// </summary>
    Task<AccessDecision> AuthenticateAsync(string presentedKey, DateTimeOffset now, CancellationToken ct);

    Task<Admission> DecideAsync(string presentedKey, string model, DateTimeOffset now, CancellationToken ct);

    /// <summary>Every routed model the key may call now; a denial when the key itself is refused.</summary>
    Task<(AccessDecision Key, IReadOnlyList<CandidateModel> Models)> ModelsForAsync(string presentedKey, DateTimeOffset now, CancellationToken ct);

    Task<HoldAnswer> HoldAsync(HoldRequest request, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// Captures the actual cost, drawn from the leases of <paramref name="admission"/> (null when the call was never
    /// admitted). Never throws: the caller already has its answer.
    /// </summary>
    Task RecordAsync(UsageReport report, LeaseAdmission? admission);

    /// <summary>Leaves a trace of a refused call, so it can be explained later. Never throws: the caller's answer is the denial.</summary>
    Task RecordDenialAsync(RequestDenied denied);
}
