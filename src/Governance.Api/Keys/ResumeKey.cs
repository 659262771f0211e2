using System.Security.Claims;
using Governance.Domain.Keys;
using Wolverine.Http;
using Wolverine.Marten;

namespace Governance.Api.Keys;

public static class ResumeKeyEndpoint
{
    [WolverinePost("/api/keys/{id}/resume")]
    public static (KeyView, Events) Post([WriteAggregate] VirtualKey key, ClaimsPrincipal user, TimeProvider clock)
    {
        var events = VirtualKeyDecider.Resume(key, user.Actor(), clock.GetUtcNow());
        return (KeyView.After(key, events), new Events(events));
    }
}
