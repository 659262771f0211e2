using Governance.Domain.Catalog;
using Governance.Domain.Keys;

namespace Governance.Domain.Access;

/// <summary>
/// The codes of refusals, as events and answers record them: constants, so a switch can match them. What each one answers
/// (status, message) is its <see cref="DenialReason"/>.
/// </summary>
public static class DenialReasons
{
    public const string UnknownKey = "unknown_key";
    public const string Revoked = "revoked";
    public const string Expired = "expired";
    public const string Rotated = "rotated";
    public const string Suspended = "suspended";
    public const string ModelNotAllowed = "model_not_allowed";
    public const string UnknownModel = "unknown_model";
    public const string UnpricedModel = "unpriced_model";
    public const string BudgetExceeded = "budget_exceeded";
    public const string ApprovalRequired = "approval_required";
    /// <summary>An adapter deciding from memory cannot vouch for its copy (feed lost beyond its staleness bound, API unreachable): fail closed.</summary>
    public const string GovernanceUnavailable = "governance_unavailable";
    /// <summary>The key's own requests/min, tokens/min or parallel limit was reached (429 with Retry-After).</summary>
    public const string RateLimited = "rate_limited";
    /// <summary>The client address presented too many refused credentials lately (429 with Retry-After); nothing else was checked.</summary>
    public const string AuthThrottled = "auth_throttled";
}

public sealed record AccessDecision(bool Allowed, string? Reason, string? KeyId, string? App)
{
    /// <summary>The refusal's status and message; null when allowed.</summary>
    public DenialReason? Denial => Allowed ? null : DenialReason.Of(Reason);

    /// <summary>200 when allowed, else the refusal's status (<see cref="DenialReason"/>).</summary>
    public int HttpStatus => Denial?.HttpStatus ?? 200;

    /// <summary>
    /// The key alone, as its headers present it: format and checksum, known, the secret (in constant time), then revoked,
    /// expired, rotated out, suspended. Allowed means the key may call something; what it may call is
    /// <see cref="Decide"/>'s. The proxy asks this before it reads a request's body, so a refused caller costs no buffer.
    /// </summary>
    public static AccessDecision Authenticate(string presentedKey, VirtualKey? key, DateTimeOffset now)
    {
        if (key is null)
            return Deny(DenialReasons.UnknownKey, null, null);
        var current = KeyFormat.Matches(presentedKey, key.SecretHash);
        var previous = !current && KeyFormat.Matches(presentedKey, key.PreviousSecretHash);
        if (!current && !previous)
            return Deny(DenialReasons.UnknownKey, null, null);

        var reason = key switch
        {
            { Status: KeyStatus.Revoked } => DenialReasons.Revoked,
            _ when key.IsExpiredAt(now) => DenialReasons.Expired,
            _ when previous && now >= key.PreviousValidUntil => DenialReasons.Rotated,
            { Status: KeyStatus.Suspended } => DenialReasons.Suspended,
            _ => null,
        };
        return reason is null ? new AccessDecision(true, null, key.Id, key.App) : Deny(reason, key.Id, key.App);
    }

    /// <summary>
    /// Pure allow/deny. Anything unknown denies. The key was looked up by the id embedded in
    /// <paramref name="presentedKey"/>; the secret is checked here in constant time.
    /// </summary>
    public static AccessDecision Decide(string presentedKey, VirtualKey? key, string model, ModelDefinition? definition, DateTimeOffset now)
    {
        var standing = Authenticate(presentedKey, key, now);
        if (!standing.Allowed)
            return standing;
        var reason = definition switch
        {
            null => DenialReasons.UnknownModel,
            _ when !key!.Allows(model) => DenialReasons.ModelNotAllowed,
            // Never forward what we cannot price: a missing price is a denial, not a $0 request. A group has no price of its
            // own: each member is priced (an unpriced member is never routed to).
            _ when !definition.IsGroup && definition.PriceAt(now) is null => DenialReasons.UnpricedModel,
            _ => null,
        };
        return reason is null ? standing : Deny(reason, standing.KeyId, standing.App);
    }

    /// <summary>
    /// Whether this decision still depends on a grant: allowed so far, for a restricted model. Callers look a live grant
    /// up only then (a read of the store, or of the adapter's copy) and pass it to <see cref="WithGrant"/>.
    /// </summary>
    public bool NeedsGrant(ModelDefinition? definition) => Allowed && definition is { IsRestricted: true };

    /// <summary>
    /// The grant rule, written here only: a restricted model is allowed only with a live grant for the key or its app
    /// (<see cref="Approvals.AccessRequest.ActiveGrant"/>, checked by time at every decision), else <c>approval_required</c>.
    /// </summary>
    public AccessDecision WithGrant(ModelDefinition? definition, Approvals.AccessRequest? liveGrant) =>
        NeedsGrant(definition) && liveGrant is null ? this with { Allowed = false, Reason = DenialReasons.ApprovalRequired } : this;

    private static AccessDecision Deny(string reason, string? keyId, string? app) => new(false, reason, keyId, app);
}
