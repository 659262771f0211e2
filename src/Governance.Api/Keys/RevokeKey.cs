using System.Security.Claims;
using FluentValidation;
using Governance.Domain.Keys;
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

public static class RevokeKeyEndpoint
{
    [WolverinePost("/api/keys/{id}/revoke")]
    public static (KeyView, Events) Post(RevokeKey command, [WriteAggregate] VirtualKey key, ClaimsPrincipal user, TimeProvider clock)
    {
        var events = VirtualKeyDecider.Revoke(key, command.Reason, user.Actor(), clock.GetUtcNow());
        return (KeyView.After(key, events), new Events(events));
    }
}
