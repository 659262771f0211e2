using System.Security.Claims;
using Governance.Api.Infrastructure;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Wolverine.Http;
using Wolverine.Marten;

namespace Governance.Api.Keys;

[Roles(OperatorRoles.Admin, OperatorRoles.AppOwner)]
public static class ResumeKeyEndpoint
{
    public static IResult Validate(VirtualKey key, HttpContext context) => KeyAccess.Visible(key, context);

    [WolverinePost("/api/keys/{id}/resume")]
    public static (KeyView, Events) Post([WriteAggregate] VirtualKey key, HttpContext context, ClaimsPrincipal user, TimeProvider clock)
    {
        // An app-owner resumes only its own kind of suspension (VirtualKeyDecider.Resume).
        var events = VirtualKeyDecider.Resume(key, user.Actor(), clock.GetUtcNow(), byAppOwner: context.AppScope().IsLimited);
        return (KeyView.After(key, events), new Events(events));
    }
}
