using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Api.Keys;
using Governance.Domain.Operators;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Operators;

public sealed record IssueOperator(string Name, IReadOnlyList<string> Roles, IReadOnlyList<string>? Apps)
{
    public const int MaxApps = 100;

    public sealed class Validator : AbstractValidator<IssueOperator>
    {
        public Validator()
        {
            RuleFor(x => x.Name).IsName();
            RuleFor(x => x.Roles).NotEmpty().WithMessage("'roles' must list at least one role.");
            RuleForEach(x => x.Roles).Must(r => OperatorRoles.All.Contains(r))
                .WithMessage($"Each role must be one of: {string.Join(", ", OperatorRoles.All)}.");
            RuleFor(x => x.Apps).NotEmpty().When(x => x.Roles?.Contains(OperatorRoles.AppOwner) == true)
                .WithMessage("'apps' must list the apps an app-owner owns.");
            RuleFor(x => x.Apps).Empty().When(x => x.Roles?.Contains(OperatorRoles.AppOwner) != true)
                .WithMessage("'apps' is only for the app-owner role.");
            RuleFor(x => x.Apps).Must(a => a is null || a.Count <= MaxApps).WithMessage($"'apps' may list at most {MaxApps} apps.");
            RuleForEach(x => x.Apps).IsName();
        }
    }
}

/// <summary>The only response that ever contains the operator token itself.</summary>
public sealed record IssuedOperator(string Id, string Token, OperatorView Details);

public static class IssueOperatorEndpoint
{
    [WolverinePost("/api/operators")]
    [Roles(OperatorRoles.Admin)]
    public static IResult Post(IssueOperator command, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock)
    {
        var token = OperatorToken.NewToken();
        var issued = OperatorDecider.Issue(token, command.Name, command.Roles, command.Apps, user.Actor(), clock.GetUtcNow());
        session.Events.StartStream<OperatorToken>(issued.TokenId, issued);
        return Results.Created($"/api/operators/{issued.TokenId}",
            new IssuedOperator(issued.TokenId, token, OperatorView.From(OperatorToken.Evolve(null, issued)!)));
    }
}
