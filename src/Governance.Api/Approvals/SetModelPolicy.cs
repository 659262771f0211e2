using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Api.Prices;
using Governance.Domain.Approvals;
using Governance.Domain.Catalog;
using Governance.Domain.Operators;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Approvals;

public sealed record SetModelPolicy(bool Restricted, int ApprovalsRequired, int MaxGrantDays, decimal? SpendCap, int? UndecidedExpiryDays)
{
    public sealed class Validator : AbstractValidator<SetModelPolicy>
    {
        public Validator()
        {
            RuleFor(x => x.ApprovalsRequired).InclusiveBetween(1, AccessDecider.MaxApprovals);
            RuleFor(x => x.MaxGrantDays).InclusiveBetween(1, 365);
            RuleFor(x => x.SpendCap).IsPrice();
            RuleFor(x => x.UndecidedExpiryDays).InclusiveBetween(1, 90);
        }
    }
}

/// <summary>PUT /api/models/{name}/policy: mark a model restricted (or not). The policy is an event in the model's history.</summary>
[Roles(OperatorRoles.Admin)]
public static class SetModelPolicyEndpoint
{
    [WolverinePut("/api/models/{name}/policy")]
    public static async Task<IResult> Put(string name, SetModelPolicy command, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<ModelDefinition>(name, ct);
        if (stream.Aggregate is null)
            return Problems.NotFound($"Model '{name}'");
        var set = new ModelPolicySet(name, command.Restricted, command.ApprovalsRequired, command.MaxGrantDays, command.SpendCap,
            command.UndecidedExpiryDays, user.Actor(), clock.GetUtcNow());
        stream.AppendOne(set);
        return Results.Ok(set.Policy);
    }
}
