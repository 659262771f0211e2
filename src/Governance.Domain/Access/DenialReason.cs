namespace Governance.Domain.Access;

/// <summary>
/// Everything a refusal says, in one place: its code (<see cref="DenialReasons"/>, what events and answers record), the
/// HTTP status the proxy answers with, and the message both error shapes (OpenAI, Anthropic) carry. The API's answers,
/// the proxy's key gate, pipeline and model list all read it from here; <c>DenialReasonTests</c> checks every code has
/// exactly one entry.
/// </summary>
/// <remarks>
/// As OpenAI answers: credential problems are 401, policy problems 403, an unknown model 404, an exhausted budget or a
/// limit 429 (OpenAI's "insufficient_quota" / "rate_limit_exceeded"), a governance service the adapter cannot vouch for 503.
/// </remarks>
public sealed record DenialReason(string Code, int HttpStatus, string Message)
{
    public static readonly DenialReason UnknownKey = new(DenialReasons.UnknownKey, 401, "Incorrect API key provided.");
    public static readonly DenialReason Revoked = new(DenialReasons.Revoked, 401, "This API key has been revoked.");
    public static readonly DenialReason Expired = new(DenialReasons.Expired, 401, "This API key has expired.");
    public static readonly DenialReason Rotated = new(DenialReasons.Rotated, 401,
        "This API key was rotated and its grace period has ended; use the new key.");
    public static readonly DenialReason Suspended = new(DenialReasons.Suspended, 403, "This API key is suspended.");
    public static readonly DenialReason ModelNotAllowed = new(DenialReasons.ModelNotAllowed, 403, "This API key may not use the requested model.");
    public static readonly DenialReason UnknownModel = new(DenialReasons.UnknownModel, 404, "The requested model does not exist.");
    public static readonly DenialReason UnpricedModel = new(DenialReasons.UnpricedModel, 403,
        "The requested model has no price configured, so this gateway will not forward it.");
    public static readonly DenialReason ApprovalRequired = new(DenialReasons.ApprovalRequired, 403,
        "The requested model is restricted: ask for access with POST /api/access-requests on the governance API, and use it once an approver grants it.");
    public static readonly DenialReason BudgetExceeded = new(DenialReasons.BudgetExceeded, 429,
        "A budget this request belongs to has less left in this window than this request's worst-case cost.");
    public static readonly DenialReason GovernanceUnavailable = new(DenialReasons.GovernanceUnavailable, 503,
        "This gateway cannot reach its governance service to check this request, so it refuses it; retry shortly.");
    public static readonly DenialReason RateLimited = new(DenialReasons.RateLimited, 429, "Rate limit reached for this API key.");
    public static readonly DenialReason AuthThrottled = new(DenialReasons.AuthThrottled, 429,
        "Too many requests with invalid API keys from this address.");

    public static readonly IReadOnlyList<DenialReason> All =
    [
        UnknownKey, Revoked, Expired, Rotated, Suspended, ModelNotAllowed, UnknownModel, UnpricedModel, ApprovalRequired, BudgetExceeded,
        GovernanceUnavailable, RateLimited, AuthThrottled,
    ];

    private static readonly Dictionary<string, DenialReason> ByCode = All.ToDictionary(r => r.Code, StringComparer.Ordinal);

    /// <summary>The entry for <paramref name="code"/>; a code this build does not know is a credential refusal (401), never an allow.</summary>
    public static DenialReason Of(string? code) =>
        code is not null && ByCode.TryGetValue(code, out var reason) ? reason : new DenialReason(code ?? "denied", 401, "Request denied.");
}
