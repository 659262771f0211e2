using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Wolverine.Http;
using Wolverine.Marten;

namespace Governance.Api.Keys;

public sealed record SuspendKey(string Reason)
{
    public sealed class Validator : AbstractValidator<SuspendKey>
    {
        public Validator() => RuleFor(x => x.Reason).NotEmpty().MaximumLength(1000);
    }
}

[Roles(OperatorRoles.Admin, OperatorRoles.AppOwner, OperatorRoles.Responder)]
public static class SuspendKeyEndpoint
{
    public static IResult Validate(VirtualKey key, HttpContext context) => KeyAccess.Visible(key, context);

    [WolverinePost("/api/keys/{id}/suspend")]
    public static (KeyView, Events) Post(SuspendKey command, [WriteAggregate] VirtualKey key, HttpContext context, ClaimsPrincipal user, TimeProvider clock)
    {
        var events = VirtualKeyDecider.Suspend(key, command.Reason, user.Actor(), clock.GetUtcNow(), byAppOwner: context.AppScope().IsLimited);
        return (KeyView.After(key, events), new Events(events));
    }
}
