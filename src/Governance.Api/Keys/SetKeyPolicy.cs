using System.Security.Claims;
using Governance.Api.Infrastructure;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Wolverine.Http;
using Wolverine.Marten;

namespace Governance.Api.Keys;

/// <summary>The key's automatic reactions: suspend it when its spend spikes.</summary>
public sealed record SetKeyPolicy(bool SuspendOnAnomaly);

[Roles(OperatorRoles.Admin, OperatorRoles.AppOwner)]
public static class SetKeyPolicyEndpoint
{
    public static IResult Validate(VirtualKey key, HttpContext context) => KeyAccess.Visible(key, context);

    [WolverinePut("/api/keys/{id}/policy")]
    public static (KeyView, Events) Put(SetKeyPolicy command, [WriteAggregate] VirtualKey key, HttpContext context, ClaimsPrincipal user, TimeProvider clock)
    {
        var events = VirtualKeyDecider.SetPolicy(key, command.SuspendOnAnomaly, user.Actor(), clock.GetUtcNow(), byAppOwner: context.AppScope().IsLimited);
        return (KeyView.After(key, events), new Events(events));
    }
}
