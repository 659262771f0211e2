using Governance.Domain.Access;
using Governance.Domain.Budgets;
using Governance.Domain.Usage;
using ProxyAdapter.Limits;

namespace ProxyAdapter;

/// <summary>
/// Refusals in the shape of the API the caller speaks, so SDKs surface them as they would the provider's own.
/// The machine-readable reason (<c>revoked</c>, <c>budget_exceeded</c>, …) is the <c>code</c> in both shapes.
/// </summary>
public abstract class ErrorShape
{
    public abstract IResult Result(int status, string code, string message);

    /// <summary>A refusal as its <see cref="DenialReason"/> says: status, code and message.</summary>
    public IResult Denied(DenialReason reason) => Result(reason.HttpStatus, reason.Code, reason.Message);

    /// <summary><see cref="DenialReason.BudgetExceeded"/>, naming the level that lacked headroom and what it had left.</summary>
    public IResult BudgetExceeded(BudgetStanding shortfall) => Result(DenialReason.BudgetExceeded.HttpStatus, DenialReason.BudgetExceeded.Code,
        $"The {shortfall.Level.ToString().ToLowerInvariant()} budget for '{shortfall.Owner}' has {shortfall.Remaining:0.########} USD left in this window, less than this request's worst-case cost.");

    /// <summary>429 <c>rate_limited</c> naming the key's limit that was reached, with Retry-After in whole seconds.</summary>
    public IResult RateLimited(RateLimitDecision denial) => new WithRetryAfter(
        Result(DenialReason.RateLimited.HttpStatus, DenialReason.RateLimited.Code, $"Rate limit reached for this API key: {(denial.Limit ?? "rate").Replace('_', ' ')}. Retry after {denial.RetryAfterSeconds} s."),
        denial.RetryAfterSeconds);

    /// <summary>429 <c>auth_throttled</c>: the address presented too many refused keys lately; Retry-After in whole seconds.</summary>
    public IResult AuthThrottled(TimeSpan wait)
    {
        var seconds = (int)Math.Clamp(Math.Ceiling(wait.TotalSeconds), 1, int.MaxValue);
        return new WithRetryAfter(Result(DenialReason.AuthThrottled.HttpStatus, DenialReason.AuthThrottled.Code,
            $"Too many requests with invalid API keys from this address. Retry after {seconds} s."), seconds);
    }

    /// <summary>413 <c>request_too_large</c>: the body passed the gateway's limit (Proxy:MaxRequestBodyBytes).</summary>
    public IResult TooLarge(long limit) => Result(413, "request_too_large", $"The request body is larger than this gateway accepts ({limit} bytes).");

    public IResult BadRequest(string message, string code = "invalid_request") => Result(400, code, message);

    /// <summary>400 for a request field the gateway refuses, naming it as the API called names a field at fault.</summary>
    public abstract IResult Invalid(InvalidParam invalid);
}

internal sealed class WithRetryAfter(IResult inner, int seconds) : IResult
{
    public Task ExecuteAsync(HttpContext http)
    {
        http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return inner.ExecuteAsync(http);
    }
}

/// <summary>OpenAI's shape: <c>{"error":{"message","type","code","param"}}</c>; an exhausted budget is its "insufficient_quota".</summary>
public sealed class OpenAiErrors : ErrorShape
{
    public static readonly OpenAiErrors Instance = new();

    public override IResult Result(int status, string code, string message) => Result(status, code, message, null);

    public override IResult Invalid(InvalidParam invalid) => Result(400, invalid.Code, invalid.Message, invalid.Param);

    private static IResult Result(int status, string code, string message, string? param) =>
        Results.Json(new { error = new { message, type = TypeOf(status, code), code, param } }, statusCode: status);

    private static string TypeOf(int status, string code) => (status, code) switch
    {
        (429, DenialReasons.BudgetExceeded) => "insufficient_quota",
        (429, _) => "rate_limit_exceeded",
        (403, _) => "permission_error",
        (< 500, _) => "invalid_request_error",
        _ => "api_error",
    };
}

/// <summary>Anthropic's shape: <c>{"type":"error","error":{"type","message"},"request_id"}</c>, with our reason as an extra <c>code</c>.</summary>
public sealed class AnthropicErrors : ErrorShape
{
    public static readonly AnthropicErrors Instance = new();

    public override IResult Result(int status, string code, string message) => new Body(status, TypeOf(status), code, message);

    /// <summary>Anthropic names the field at fault at the start of its message (<c>max_tokens: …</c>).</summary>
    public override IResult Invalid(InvalidParam invalid) => Result(400, invalid.Code, $"{invalid.Param}: {invalid.Message}");

    private static string TypeOf(int status) => status switch
    {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        415 => "invalid_request_error",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    };

    private sealed class Body(int status, string type, string code, string message) : IResult
    {
        public Task ExecuteAsync(HttpContext http) => Results.Json(
            new { type = "error", error = new { type, message, code }, request_id = RequestIds.Of(http) }, statusCode: status).ExecuteAsync(http);
    }
}
