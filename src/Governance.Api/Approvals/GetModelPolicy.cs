using Governance.Api.Infrastructure;
using Governance.Api.Prices;
using Governance.Domain.Operators;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Approvals;

[Roles(OperatorRoles.Admin, OperatorRoles.Auditor, OperatorRoles.Approver, OperatorRoles.AppOwner)]
public static class GetModelPolicyEndpoint
{
    /// <summary>The model's approval policy now, or with <c>?asOf=</c> the one in force then (from the model's events).</summary>
    [WolverineGet("/api/models/{name}/policy")]
    public static async Task<IResult> Get(string name, string? asOf, IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (!AsOf.TryParse(asOf, now, out var at, out var problem))
            return problem;
        return await PastModels.ViewAsync(session, name, at, now, ct) is { } model
            ? Results.Ok(new ModelPolicyView(model.Name, model.Policy))
            : Problems.NotFound(at is { } instant ? $"Model '{name}' as of {instant:O}" : $"Model '{name}'");
    }
}
