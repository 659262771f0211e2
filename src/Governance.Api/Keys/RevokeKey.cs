using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Wolverine.Http;
using Wolverine.Marten;

namespace Governance.Api.Keys;

public sealed record RevokeKey(string Reason)
{
    public sealed class Validator : AbstractValidator<RevokeKey>
    {
        public Validator() => RuleFor(x => x.Reason).NotEmpty().MaximumLength(1000);
    }
}

[Roles(OperatorRoles.Admin, OperatorRoles.AppOwner, OperatorRoles.Responder)]
public static class RevokeKeyEndpoint
{
    public static IResult Validate(VirtualKey key, HttpContext context) => KeyAccess.Visible(key, context);

    [WolverinePost("/api/keys/{id}/revoke")]
    public static (KeyView, Events) Post(RevokeKey command, [WriteAggregate] VirtualKey key, ClaimsPrincipal user, TimeProvider clock)
    {
        var events = VirtualKeyDecider.Revoke(key, command.Reason, user.Actor(), clock.GetUtcNow());
        return (KeyView.After(key, events), new Events(events));
    }
}
