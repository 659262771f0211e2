using Governance.Domain.Access;
using Governance.Domain.Usage;
using ProxyAdapter.Limits;

namespace ProxyAdapter.Pipeline;

/// <summary>
/// Step 5: the key's own limits: the input estimate and every allowed output token as the worst case (the actual tokens
/// replace it when the call is recorded). First this adapter's own window (<see cref="KeyRateLimiter"/>, no I/O), then the
/// key's fleet-wide allowance (<see cref="FleetRateLimiter"/>), which asks the governance API only when the part this
/// adapter holds is used up.
/// </summary>
public sealed class RateLimitStage(KeyRateLimiter limiter, FleetRateLimiter fleet, AdapterIdentity adapter)
{
    public async Task<Step<LimitedRequest>> AcquireAsync(AdmittedRequest request)
    {
        var decision = request.Admission.Decision;
        var raw = request.Request.Request.Raw;
        var caller = request.Request.Request.Caller;
        var estimate = checked(Estimate.Tokens(raw.Length) + request.Shape.MaxOutput);
        var limited = limiter.TryAcquire(decision.KeyId!, request.Admission.Limits, estimate, request.Now);
        if (limited.Permit is { } permit)
        {
            var shared = await fleet.AcquireAsync(decision.KeyId!, request.Admission.Limits, estimate, request.Now, caller.Http.RequestAborted);
            if (shared.Permit is not null || (shared.Limit is null && !shared.Unavailable))
            {
                permit.Fleet = shared.Permit;
                return new LimitedRequest(request, permit);
            }
            limiter.Cancel(permit);
            if (shared.Unavailable)
            {
                var unavailable = decision with { Allowed = false, Reason = DenialReasons.GovernanceUnavailable };
                return new Refusal(caller.Surface.Errors.Denied(unavailable.Denial!), null,
                    RequestDenied.Of(caller.RequestId, caller.PresentedKey, unavailable, request.Shape.Model, adapter.Actor, request.Now));
            }
            limited = RateLimitDecision.Deny(shared.Limit!, shared.RetryAfter);
        }

        var refusal = decision with { Allowed = false, Reason = DenialReasons.RateLimited };
        return new Refusal(caller.Surface.Errors.RateLimited(limited), DenialReasons.RateLimited,
            RequestDenied.Of(caller.RequestId, caller.PresentedKey, refusal, request.Shape.Model, adapter.Actor, request.Now));
    }
}
