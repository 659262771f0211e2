using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Domain.Operators;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Operators;

public sealed record RevokeOperator(string Reason)
{
    public sealed class Validator : AbstractValidator<RevokeOperator>
    {
        public Validator() => RuleFor(x => x.Reason).NotEmpty().MaximumLength(1000);
    }
}

public static class RevokeOperatorEndpoint
{
    [WolverinePost("/api/operators/{id}/revoke")]
    [Roles(OperatorRoles.Admin)]
    public static async Task<IResult> Post(
        string id, RevokeOperator command, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        // Each revocation appends to its own stream, so stream versions can't stop two admins revoking each other at
        // the same instant and leaving none. One lock for all revocations makes the count below current.
        await LockRevocationsAsync(session, ct);
        var stream = await session.Events.FetchForWriting<OperatorToken>(id, ct);
        if (stream.Aggregate is not { } target)
            return Problems.NotFound($"Operator '{id}'");

        var now = clock.GetUtcNow();
        // An expired admin cannot call the API, so it does not count: the last admin that can must stay.
        var otherAdmins = await session.Query<OperatorToken>()
            .CountAsync(o => !o.Revoked && (o.ExpiresAt == null || o.ExpiresAt > now) && o.Roles.Contains(OperatorRoles.Admin) && o.Id != id, ct);
        var events = OperatorDecider.Revoke(target, command.Reason, otherAdmins, user.Actor(), now);
        stream.AppendMany(events);
        return Results.Ok(OperatorView.From(events.Aggregate(target, (state, e) => OperatorToken.Evolve(state, e)!), now));
    }

    private static async Task LockRevocationsAsync(IDocumentSession session, CancellationToken ct)
    {
        await session.BeginTransactionAsync(ct);
        await using var command = session.Connection!.CreateCommand();
        command.CommandText = "select pg_advisory_xact_lock(hashtextextended('operator-revocations', 0))";
        await command.ExecuteNonQueryAsync(ct);
    }
}
