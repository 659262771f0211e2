using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Domain.Operators;
using Governance.Store.Leases;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Leases;

/// <summary>
/// <see cref="Unused"/>: what the adapter holds in the lease and has not committed to any request. <see cref="Grants"/>
/// (optional): how many of the lease's grants and top-ups (<c>grants</c> in lease answers) the adapter had merged when
/// it counted <see cref="Unused"/>; fewer than the lease has makes the return partial, and the lease stays recallable.
/// </summary>
public sealed record ReturnLease(decimal Unused, int? Grants)
{
    public sealed class Validator : AbstractValidator<ReturnLease>
    {
        public Validator()
        {
            RuleFor(x => x.Unused).GreaterThanOrEqualTo(0m).LessThanOrEqualTo(RequestLease.MaxAmount);
            RuleFor(x => x.Grants).GreaterThan(0).When(x => x.Grants is not null);
        }
    }
}

[Roles(OperatorRoles.Adapter)]
public static class ReturnLeaseEndpoint
{
    /// <summary>
    /// Gives back at most what the lease still holds; the rest stays leased until the usage that spends it arrives (or
    /// the lease expires). Answers a recall. Returning to an expired lease changes nothing.
    /// </summary>
    [WolverinePost("/api/leases/{id}/return")]
    public static async Task<IResult> Post(
        string id, ReturnLease command, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        var (lease, problem) = await LeaseAccess.OwnLeaseAsync(session, id, user, ct);
        if (problem is not null)
            return problem;
        var now = clock.GetUtcNow();
        return Results.Ok(LeaseViews.Of(await LeaseBook.ReturnAsync(session, lease!, command.Unused, command.Grants, user.Actor(), now, ct), now));
    }
}
