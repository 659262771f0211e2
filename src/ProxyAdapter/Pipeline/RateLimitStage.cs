using Governance.Domain.Access;
using Governance.Domain.Usage;
using ProxyAdapter.Limits;

namespace ProxyAdapter.Pipeline;

/// <summary>
/// Step 5: the key's own limits, counted in this adapter's memory: the input estimate and every allowed output token as
/// the worst case (the actual tokens replace it when the call is recorded).
/// </summary>
public sealed class RateLimitStage(KeyRateLimiter limiter, AdapterIdentity adapter)
{
    public Step<LimitedRequest> Acquire(AdmittedRequest request)
    {
        var decision = request.Admission.Decision;
        var raw = request.Request.Request.Raw;
        var limited = limiter.TryAcquire(decision.KeyId!, request.Admission.Limits, checked(Estimate.Tokens(raw.Length) + request.Shape.MaxOutput), request.Now);
        if (limited.Permit is { } permit)
            return new LimitedRequest(request, permit);

        var caller = request.Request.Request.Caller;
        var refusal = decision with { Allowed = false, Reason = DenialReasons.RateLimited };
        return new Refusal(caller.Surface.Errors.RateLimited(limited), DenialReasons.RateLimited,
            request.Attributed(RequestDenied.Of(caller.RequestId, caller.PresentedKey, refusal, request.Shape.Model, adapter.Actor, request.Now)));
    }
}
