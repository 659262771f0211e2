using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Api.Keys;
using Governance.Api.Prices;
using Governance.Domain.Approvals;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Governance.Projections.Approvals;
using Marten;
using Wolverine;
using Wolverine.Http;

namespace Governance.Api.Approvals;

/// <summary>Ask for access to a restricted model for one key, or for every key of an app.</summary>
public sealed record RequestAccess(string? KeyId, string? App, string Model, string Justification, int DurationDays, decimal? SpendCap)
{
    public sealed class Validator : AbstractValidator<RequestAccess>
    {
        public Validator()
        {
            RuleFor(x => x.KeyId).NotEmpty().When(x => x.App is null).WithMessage("Give 'keyId' or 'app'.");
            RuleFor(x => x.KeyId).MaximumLength(KeyRules.MaxNameLength);
            RuleFor(x => x.App).Empty().When(x => x.KeyId is not null).WithMessage("Give 'keyId' or 'app', not both.");
            RuleFor(x => x.App!).IsName().When(x => x.App is not null);
            RuleFor(x => x.Model).IsName();
            RuleFor(x => x.Justification).NotEmpty().MaximumLength(2000);
            RuleFor(x => x.DurationDays).GreaterThan(0);
            RuleFor(x => x.SpendCap).IsPrice();
        }
    }
}

public sealed record AccessRequestCreated(string Id, string Status);

[Roles(OperatorRoles.Admin, OperatorRoles.AppOwner)]
public static class RequestAccessEndpoint
{
    [WolverinePost("/api/access-requests")]
    public static async Task<IResult> Post(
        RequestAccess command, IDocumentSession session, IMessageBus bus, HttpContext context, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        var scope = context.AppScope();
        var model = await session.LoadAsync<ModelDefinition>(command.Model, ct);
        if (model is null)
            return Problems.NotFound($"Model '{command.Model}'");
        var app = command.App;
        if (command.KeyId is not null)
        {
            var key = await session.LoadAsync<VirtualKey>(command.KeyId, ct);
            if (key is null || !scope.Allows(key.App))
                return Problems.NotFound($"Key '{command.KeyId}'");
            app = key.App;
        }
        if (!scope.Allows(app!))
            return Problems.Forbidden($"This operator token may not act for app '{app}'.");
        if (model.Policy is { Restricted: true } policy && command.DurationDays > policy.MaxGrantDays)
            return Problems.Field("durationDays", $"The policy of '{model.Id}' grants at most {policy.MaxGrantDays} days.");

        var now = clock.GetUtcNow();
        var requested = AccessDecider.Request(AccessRequest.IdPrefix + Guid.NewGuid().ToString("N"), command.KeyId, app!, model.Id,
            command.Justification, command.DurationDays, command.SpendCap, model.Policy, user.Identity(), now);
        session.Events.StartStream<AccessRequest>(requested.RequestId, requested);
        if (requested.Policy.UndecidedExpiryDays is { } days)
            await bus.ScheduleAsync(new LapseAccessRequest(requested.RequestId), TimeSpan.FromDays(days));
        await bus.PublishAsync(new AccessNotice("access.requested", requested.RequestId));
        return Results.Created($"/api/access-requests/{requested.RequestId}", new AccessRequestCreated(requested.RequestId, "pending"));
    }
}
