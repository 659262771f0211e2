using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Api.Keys;
using Governance.Domain.Operators;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Operators;

/// <param name="Person">Who holds the token (default: <paramref name="Name"/>): approvals count people, so give each person's tokens the same one.</param>
/// <param name="ExpiresAt">When the token stops working: after now, at most 365 days ahead; default 90 days.</param>
public sealed record IssueOperator(
    string Name, IReadOnlyList<string> Roles, IReadOnlyList<string>? Apps, string? AdapterId = null, string? Person = null, DateTimeOffset? ExpiresAt = null)
{
    public const int MaxApps = 100;

    public sealed class Validator : AbstractValidator<IssueOperator>
    {
        public Validator()
        {
            RuleFor(x => x.Name).IsName();
            RuleFor(x => x.Person!).IsName().When(x => x.Person is not null);
            RuleFor(x => x.Roles).NotEmpty().WithMessage("'roles' must list at least one role.");
            RuleForEach(x => x.Roles).Must(r => OperatorRoles.All.Contains(r))
                .WithMessage($"Each role must be one of: {string.Join(", ", OperatorRoles.All)}.");
            RuleFor(x => x.Apps).NotEmpty().When(x => x.Roles?.Contains(OperatorRoles.AppOwner) == true)
                .WithMessage("'apps' must list the apps an app-owner owns.");
            RuleFor(x => x.Apps).Empty().When(x => x.Roles?.Contains(OperatorRoles.AppOwner) != true)
                .WithMessage("'apps' is only for the app-owner role.");
            RuleFor(x => x.Apps).Must(a => a is null || a.Count <= MaxApps).WithMessage($"'apps' may list at most {MaxApps} apps.");
            RuleForEach(x => x.Apps).IsName();
            RuleFor(x => x.AdapterId!).Matches("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$").When(x => x.AdapterId is not null)
                .WithMessage("'adapterId' must be 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit.");
            RuleFor(x => x.AdapterId).Null().When(x => x.Roles?.Contains(OperatorRoles.Adapter) != true)
                .WithMessage("'adapterId' is only for the adapter role.");
        }
    }
}

/// <summary>The only response that ever contains the operator token itself.</summary>
public sealed record IssuedOperator(string Id, string Token, OperatorView Details);

public static class IssueOperatorEndpoint
{
    [WolverinePost("/api/operators")]
    [Roles(OperatorRoles.Admin)]
    public static async Task<IResult> Post(IssueOperator command, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        // Two live tokens with one adapter id would share its leases; a replacement is issued after revoking the old one
        // (or once it has expired).
        if (command.AdapterId is not null
            && await session.Query<OperatorToken>().AnyAsync(t => t.AdapterId == command.AdapterId && !t.Revoked && (t.ExpiresAt == null || t.ExpiresAt > now), ct))
            return Results.Problem(Problems.Create(409, "Adapter id in use.",
                $"An active operator token already acts as adapter '{command.AdapterId}'; revoke it first.", "adapter_id_in_use"));
        var token = OperatorToken.NewToken();
        var issued = OperatorDecider.Issue(token, command.Name, command.Roles, command.Apps, user.Actor(), now, command.AdapterId, command.Person, command.ExpiresAt);
        session.Events.StartStream<OperatorToken>(issued.TokenId, issued);
        return Results.Created($"/api/operators/{issued.TokenId}",
            new IssuedOperator(issued.TokenId, token, OperatorView.From(OperatorToken.Evolve(null, issued)!, now)));
    }
}
