using System.Security.Claims;
using Governance.Domain.Keys;
using Wolverine.Http;
using Wolverine.Marten;

namespace Governance.Api.Keys;

/// <summary>The key's automatic reactions: suspend it when its spend spikes.</summary>
public sealed record SetKeyPolicy(bool SuspendOnAnomaly);

public static class SetKeyPolicyEndpoint
{
    [WolverinePut("/api/keys/{id}/policy")]
    public static (KeyView, Events) Put(SetKeyPolicy command, [WriteAggregate] VirtualKey key, ClaimsPrincipal user, TimeProvider clock)
    {
        var events = VirtualKeyDecider.SetPolicy(key, command.SuspendOnAnomaly, user.Actor(), clock.GetUtcNow());
        return (KeyView.After(key, events), new Events(events));
    }
}
