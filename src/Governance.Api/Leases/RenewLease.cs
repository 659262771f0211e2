using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Contracts.Leases;
using Governance.Domain.Budgets;
using Governance.Domain.Operators;
using Governance.Store.Leases;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Leases;

/// <summary>Keep a lease alive; <see cref="Want"/> (default: its need × the multiplier) is what it should hold after a top-up.</summary>
public sealed record RenewLease(decimal? Want)
{
    public sealed class Validator : AbstractValidator<RenewLease>
    {
        public Validator() => RuleFor(x => x.Want).GreaterThan(0m).LessThanOrEqualTo(RequestLease.MaxAmount).When(x => x.Want is not null);
    }
}

internal static class LeaseViews
{
    /// <summary>The lease as its owner sees it after a renewal or a return.</summary>
    public static LeaseView Of(LeaseState state, DateTimeOffset now) => new(state.Lease.Id, state.Lease.AdapterId,
        LeaseSliceView.LevelName(state.Lease.Level), state.Lease.Owner, state.Changed, state.Open?.Remaining ?? 0m, state.Lease.ExpiresAt,
        state.Open is not null && state.Lease.IsOpenAt(now) ? "open" : "expired", state.Open?.Grants ?? 0);
}

internal static class LeaseAccess
{
    /// <summary>The caller's own lease, or the problem to answer: 404 unknown, 403 another adapter's.</summary>
    public static async Task<(BudgetLease?, IResult?)> OwnLeaseAsync(IQuerySession session, string id, ClaimsPrincipal user, CancellationToken ct)
    {
        var lease = await session.LoadAsync<BudgetLease>(id, ct);
        if (lease is null)
            return (null, Problems.NotFound($"Lease '{id}'"));
        return lease.AdapterId == user.AdapterId()
            ? (lease, null)
            : (null, Problems.Forbidden($"Lease '{id}' belongs to adapter '{lease.AdapterId}'."));
    }
}

[Roles(OperatorRoles.Adapter)]
public static class RenewLeaseEndpoint
{
    /// <summary>Extends the lease (never past its window) and tops it up within its fair share. 409 lease_expired once it has run out.</summary>
    [WolverinePost("/api/leases/{id}/renew")]
    public static async Task<IResult> Post(
        string id, RenewLease command, IDocumentSession session, LeaseOptions options, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        var (lease, problem) = await LeaseAccess.OwnLeaseAsync(session, id, user, ct);
        if (problem is not null)
            return problem;
        var now = clock.GetUtcNow();
        return Results.Ok(LeaseViews.Of(await LeaseBook.RenewAsync(session, lease!, command.Want, options.Sizing, user.Actor(), now, ct), now));
    }
}
