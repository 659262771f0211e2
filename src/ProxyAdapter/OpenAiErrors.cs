using Governance.Domain.Budgets;

namespace ProxyAdapter;

/// <summary>Errors in OpenAI's own shape, so SDKs surface them as they would a provider's.</summary>
public static class OpenAiErrors
{
    public static IResult Result(int status, string type, string code, string message) =>
        Results.Json(new { error = new { message, type, code, param = (string?)null } }, statusCode: status);

    public static IResult Denied(int status, string reason) => Result(
        status,
        status switch { 401 => "invalid_request_error", 404 => "invalid_request_error", _ => "permission_error" },
        reason,
        reason switch
        {
            "unknown_key" => "Incorrect API key provided.",
            "revoked" => "This API key has been revoked.",
            "expired" => "This API key has expired.",
            "rotated" => "This API key was rotated and its grace period has ended; use the new key.",
            "suspended" => "This API key is suspended.",
            "model_not_allowed" => "This API key may not use the requested model.",
            "unknown_model" => "The requested model does not exist.",
            "unpriced_model" => "The requested model has no price configured, so this gateway will not forward it.",
            "approval_required" => "The requested model is restricted: ask for access with POST /api/access-requests on the governance API, and use it once an approver grants it.",
            _ => "Request denied.",
        });

    /// <summary>OpenAI's own answer for an exhausted quota: 429 "insufficient_quota".</summary>
    public static IResult BudgetExceeded(BudgetStanding shortfall) => Result(429, "insufficient_quota", "budget_exceeded",
        $"The {shortfall.Level.ToString().ToLowerInvariant()} budget for '{shortfall.Owner}' has {shortfall.Remaining:0.########} USD left in this window, less than this request's worst-case cost.");

    public static IResult BadRequest(string message, string code = "invalid_request") =>
        Result(400, "invalid_request_error", code, message);
}
