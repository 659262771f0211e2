using Governance.Api.Infrastructure;
using Governance.Domain.Operators;
using Marten;
using Wolverine.Http;
using Wolverine.Marten;

namespace Governance.Api.Operators;

[Roles(OperatorRoles.Admin, OperatorRoles.Auditor)]
public static class GetOperatorsEndpoints
{
    public const int MaxPage = 1000;

    [WolverineGet("/api/operators/{id}")]
    public static OperatorView Get([ReadAggregate] OperatorToken token, TimeProvider clock) => OperatorView.From(token, clock.GetUtcNow());

    /// <summary>Every operator, revoked and expired ones included (an auditor needs to see who could act when), oldest first.</summary>
    [WolverineGet("/api/operators")]
    public static async Task<IReadOnlyList<OperatorView>> List(IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return (await session.Query<OperatorToken>().OrderBy(o => o.IssuedAt).ThenBy(o => o.Id).Take(MaxPage).ToListAsync(ct))
            .Select(o => OperatorView.From(o, now)).ToList();
    }
}
