using Governance.Domain.Access;
using Governance.Hosting;
using Governance.Hosting.Audit;
using ProxyAdapter.Surfaces;

namespace ProxyAdapter;

/// <summary>What the headers said: the key to go on with, or the refusal to answer at once (and why).</summary>
public sealed record KeyCheck(string? PresentedKey, AccessDecision Standing, IResult? Refusal);

/// <summary>
/// The first step of every call that presents a virtual key (<see cref="Gateway"/>, <c>/v1/models</c>), from the headers
/// alone and before a byte of the body is read: the client address's failed-authentication throttle
/// (<see cref="FailedAuthThrottle"/>), then the key — shape and checksum, known, its secret, revoked, expired, rotated out,
/// suspended — from the adapter's copy. A refused caller costs a dictionary lookup and a hash: no buffer, no event of its
/// own (it is counted in <see cref="RefusalTally"/>, shipped once a minute).
/// </summary>
public sealed class KeyGate(IGovernor governor, FailedAuthThrottle throttle, RefusalTally tally, TimeProvider clock)
{
    private static readonly AccessDecision Missing = new(false, DenialReasons.UnknownKey, null, null);
    private static readonly AccessDecision Throttled = new(false, DenialReasons.AuthThrottled, null, null);

    public async Task<KeyCheck> CheckAsync(HttpContext http, Surface surface)
    {
        var now = clock.GetUtcNow();
        var address = http.Connection.RemoteIpAddress;
        if (throttle.RetryAfter(address, now) is { } wait)
        {
            tally.Count(new RefusalCount(DenialReasons.AuthThrottled, null, 1), now);
            return new KeyCheck(null, Throttled, surface.Errors.AuthThrottled(wait));
        }

        var presented = surface.PresentedKey(http.Request);
        var standing = presented is null ? Missing : await governor.AuthenticateAsync(presented, now, http.RequestAborted);
        if (standing.Allowed)
            return new KeyCheck(presented, standing, null);
        // A credential that was presented and refused counts against its address; a missing one, or an adapter that cannot
        // vouch for its copy (503), does not.
        if (presented is not null && standing.HttpStatus == StatusCodes.Status401Unauthorized)
            throttle.Failed(address, now);
        tally.Count(HeaderRefusals.Classify(presented, standing), now);
        return new KeyCheck(null, standing, surface.Errors.Denied(standing.Denial!));
    }
}
