using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Domain.Operators;
using Governance.Projections.Leases;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Leases;

/// <summary><see cref="Unused"/>: what the adapter holds in the lease and has not committed to any request.</summary>
public sealed record ReturnLease(decimal Unused)
{
    public sealed class Validator : AbstractValidator<ReturnLease>
    {
        public Validator() => RuleFor(x => x.Unused).GreaterThanOrEqualTo(0m).LessThanOrEqualTo(RequestLease.MaxAmount);
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
        return Results.Ok(LeaseView.From(await LeaseBook.ReturnAsync(session, lease!, command.Unused, user.Actor(), now, ct), now));
    }
}
