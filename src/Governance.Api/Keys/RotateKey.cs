using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Wolverine.Http;
using Wolverine.Marten;

namespace Governance.Api.Keys;

public sealed record RotateKey(long GracePeriodSeconds)
{
    public sealed class Validator : AbstractValidator<RotateKey>
    {
        public Validator() => RuleFor(x => x.GracePeriodSeconds)
            .InclusiveBetween(0, (long)VirtualKeyDecider.MaxRotationGrace.TotalSeconds)
            .WithMessage("'gracePeriodSeconds' must be between 0 and 604800 (7 days).");
    }
}

/// <summary>The new key, shown once. The previous key keeps working until <see cref="PreviousKeyValidUntil"/>.</summary>
public sealed record RotatedKey(string Id, string Key, DateTimeOffset PreviousKeyValidUntil);

[Roles(OperatorRoles.Admin, OperatorRoles.AppOwner)]
public static class RotateKeyEndpoint
{
    public static IResult Validate(VirtualKey key, HttpContext context) => KeyAccess.Visible(key, context);

    [WolverinePost("/api/keys/{id}/rotate")]
    public static (RotatedKey, Events) Post(RotateKey command, [WriteAggregate] VirtualKey key, ClaimsPrincipal user, TimeProvider clock)
    {
        var newKey = KeyFormat.NewKey(key.Id);
        var rotated = VirtualKeyDecider.Rotate(
            key, TimeSpan.FromSeconds(command.GracePeriodSeconds), KeyFormat.Hash(newKey), user.Actor(), clock.GetUtcNow());
        return (new RotatedKey(key.Id, newKey, rotated.PreviousValidUntil), [rotated]);
    }
}
