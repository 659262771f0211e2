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
    public static OperatorView Get([ReadAggregate] OperatorToken token) => OperatorView.From(token);

    /// <summary>Every operator, revoked ones included (an auditor needs to see who could act when), oldest first.</summary>
    [WolverineGet("/api/operators")]
    public static async Task<IReadOnlyList<OperatorView>> List(IQuerySession session, CancellationToken ct) =>
        (await session.Query<OperatorToken>().OrderBy(o => o.IssuedAt).ThenBy(o => o.Id).Take(MaxPage).ToListAsync(ct))
        .Select(OperatorView.From).ToList();
}
