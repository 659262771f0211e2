using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Wolverine.Http;
using Wolverine.Marten;

namespace Governance.Api.Keys;

public sealed record ChangeKeyScope(IReadOnlyList<string> Models)
{
    public sealed class Validator : AbstractValidator<ChangeKeyScope>
    {
        public Validator() => RuleFor(x => x.Models).ValidModels();
    }
}

[Roles(OperatorRoles.Admin, OperatorRoles.AppOwner)]
public static class ChangeKeyScopeEndpoint
{
    public static IResult Validate(VirtualKey key, HttpContext context) => KeyAccess.Visible(key, context);

    [WolverinePut("/api/keys/{id}/models")]
    public static (KeyView, Events) Put(ChangeKeyScope command, [WriteAggregate] VirtualKey key, ClaimsPrincipal user, TimeProvider clock)
    {
        var events = VirtualKeyDecider.ChangeScope(key, command.Models, user.Actor(), clock.GetUtcNow());
        return (KeyView.After(key, events), new Events(events));
    }
}
