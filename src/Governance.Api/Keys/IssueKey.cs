using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Keys;

/// <param name="RateLimits">Optional; omitted or null fields are unlimited (PUT /api/keys/{id}/limits changes them later).</param>
public sealed record IssueKey(string App, string Name, IReadOnlyList<string> Models, DateTimeOffset? ExpiresAt, KeyRateLimits? RateLimits = null)
{
    public sealed class Validator : AbstractValidator<IssueKey>
    {
        public Validator()
        {
            RuleFor(x => x.App).IsName();
            RuleFor(x => x.Name).IsName();
            RuleFor(x => x.Models).ValidModels();
            When(x => x.RateLimits is not null, () => RuleFor(x => x.RateLimits!).ValidLimits());
        }
    }
}

/// <summary>The only response that ever contains the key itself.</summary>
public sealed record IssuedKey(string Id, string Key, KeyView Details);

[Roles(OperatorRoles.Admin, OperatorRoles.AppOwner)]
public static class IssueKeyEndpoint
{
    [WolverinePost("/api/keys")]
    public static IResult Post(IssueKey command, IDocumentSession session, HttpContext context, ClaimsPrincipal user, TimeProvider clock)
    {
        // The app is named by the caller, not hidden behind an id, so refusing it reveals nothing: 403, not 404.
        var scope = context.AppScope();
        if (!scope.Allows(command.App))
            return Problems.Forbidden($"This operator token does not own app '{command.App}'.");
        // Rate limits are the admins' to set, here as on PUT /api/keys/{id}/limits.
        if (scope.IsLimited && command.RateLimits is not null)
            return Problems.Forbidden("'rateLimits' is set by admins only (PUT /api/keys/{id}/limits); issue the key without it.");
        var keyId = KeyFormat.NewKeyId();
        var key = KeyFormat.NewKey(keyId);
        var issued = VirtualKeyDecider.Issue(
            keyId, command.App, command.Name, command.Models, command.ExpiresAt, KeyFormat.Hash(key), user.Actor(), clock.GetUtcNow());
        object[] events = [issued, .. VirtualKeyDecider.InitialLimits(issued, command.RateLimits)];
        session.Events.StartStream<VirtualKey>(keyId, events);
        return Results.Created($"/api/keys/{keyId}", new IssuedKey(keyId, key, KeyView.After(VirtualKey.Evolve(null, issued)!, events[1..])));
    }
}
