using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Api.Keys;
using Governance.Api.Prices;
using Governance.Domain.Catalog;
using Governance.Domain.Operators;
using Governance.Domain.Usage;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Catalog;

/// <summary>The members of a model group and the strategy that picks among their deployments (docs/routing.md).</summary>
public sealed record SetModelGroup(IReadOnlyList<string> Members, string Strategy)
{
    public sealed class Validator : AbstractValidator<SetModelGroup>
    {
        public Validator()
        {
            RuleFor(x => x.Strategy).NotEmpty().WithMessage($"'strategy' is required: one of {string.Join(", ", RoutingStrategies.All)}.")
                .Must(RoutingStrategies.IsKnown).When(x => !string.IsNullOrEmpty(x.Strategy))
                .WithMessage(x => $"'strategy' must be one of {string.Join(", ", RoutingStrategies.All)}; '{Shorten(x.Strategy)}' is not a routing strategy.");
            RuleFor(x => x.Members).NotEmpty().WithMessage("'members' must list at least one model.")
                .Must(m => m is null || m.Count <= ModelGroup.MaxMembers).WithMessage($"'members' may list at most {ModelGroup.MaxMembers} models.");
            RuleForEach(x => x.Members).IsName();
            RuleFor(x => x.Members).Custom((members, context) =>
            {
                if (members is null)
                    return;
                for (var i = 0; i < members.Count; i++)
                    if (members.Take(i).Contains(members[i]))
                        context.AddFailure($"Members[{i}]", $"'{members[i]}' is listed twice.");
            });
        }

        private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";
    }
}

/// <summary>A model group as operators see it, now or as of an instant.</summary>
public sealed record ModelGroupView(string Name, IReadOnlyList<string> Members, string Strategy, ModelPolicyView Policy)
{
    public static ModelGroupView From(ModelDefinition group) => new(group.Id, group.Group!.Members, group.Group.Strategy, new ModelPolicyView(group.Id, group.Policy));
}

/// <summary>
/// PUT /api/model-groups/{name}: a name clients call as <c>model</c> that routes to its members by a strategy. Creates the
/// group or replaces its members and strategy (<c>model_group_set</c>). The name lives among model names, so a key's
/// scope, grants and approval policies apply to it as to a model; it may not be a registered model's name. Each member must
/// be a routed model (not a group), and all must speak one API.
/// </summary>
[Roles(OperatorRoles.Admin)]
public static class SetModelGroupEndpoint
{
    [WolverinePut("/api/model-groups/{name}")]
    public static async Task<IResult> Put(string name, SetModelGroup command, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        if (name.Length > KeyRules.MaxNameLength || name.Trim() != name || name.Any(char.IsControl) || name == "*" || RequestIds.IsReserved(name))
            return Problems.Field("name", "A group's name must be a model name: at most 200 characters, no surrounding whitespace or control characters, not '*' nor a request id.");
        var stream = await session.Events.FetchForWriting<ModelDefinition>(name, ct);
        if (stream.Aggregate is { IsGroup: false } existing && (existing.IsRouted || existing.Prices.Count > 0))
            return Problems.Field("name", $"'{name}' is a model; a group needs a name of its own.");

        var models = (await session.LoadManyAsync<ModelDefinition>(ct, command.Members)).ToDictionary(m => m.Id);
        var providers = (await session.Query<Provider>().ToListAsync(ct)).ToDictionary(p => p.Id);
        ApiFamily? family = null;
        for (var i = 0; i < command.Members.Count; i++)
        {
            var field = $"members[{i}]";
            var member = command.Members[i];
            if (member == name)
                return Problems.Field(field, "A group cannot contain itself.");
            if (!models.TryGetValue(member, out var model))
                return Problems.Field(field, $"Model '{member}' is not registered.");
            if (model.IsGroup)
                return Problems.Field(field, $"'{member}' is a model group; groups do not nest.");
            if (!model.IsRouted)
                return Problems.Field(field, $"Model '{member}' has no route (POST /api/models).");
            var kind = model.Routes().Select(d => providers.GetValueOrDefault(d.Provider)).FirstOrDefault(p => p is not null) is { } provider
                ? ProviderKinds.FamilyOf(provider.Kind)
                : (ApiFamily?)null;
            if (family is not null && kind is not null && kind != family)
                return Problems.Field(field,
                    $"All members of a group must speak one API: '{member}' speaks {ProviderKinds.Describe(kind.Value)}, the ones before it {ProviderKinds.Describe(family.Value)}.");
            family ??= kind;
        }

        var group = new ModelGroup(command.Members.ToList(), command.Strategy);
        // Setting what is already there is a no-op, not a new event.
        if (stream.Aggregate?.Group == group)
            return Results.Ok(ModelGroupView.From(stream.Aggregate));
        var set = new ModelGroupSet(name, group.Members, group.Strategy, user.Actor(), clock.GetUtcNow());
        stream.AppendOne(set);
        return Results.Ok(ModelGroupView.From(ModelDefinition.Evolve(stream.Aggregate, set)!));
    }
}

[Roles(OperatorRoles.Admin, OperatorRoles.Auditor, OperatorRoles.Approver, OperatorRoles.AppOwner)]
public static class ModelGroupQueries
{
    /// <summary>The group now, or with <c>?asOf=</c> as its events had made it then (members and strategy in force).</summary>
    [WolverineGet("/api/model-groups/{name}")]
    public static async Task<IResult> Get(string name, string? asOf, IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (!AsOf.TryParse(asOf, now, out var at, out var problem))
            return problem;
        var group = at is { } instant ? await PastModels.AsOfAsync(session, name, instant, ct) : await session.LoadAsync<ModelDefinition>(name, ct);
        return group is { IsGroup: true }
            ? Results.Ok(ModelGroupView.From(group))
            : Problems.NotFound(at is { } then ? $"Model group '{name}' as of {then:O}" : $"Model group '{name}'");
    }

    [WolverineGet("/api/model-groups")]
    public static async Task<IReadOnlyList<ModelGroupView>> List(IQuerySession session, CancellationToken ct) =>
        (await session.Query<ModelDefinition>().OrderBy(m => m.Id).ToListAsync(ct)).Where(m => m.IsGroup).Select(ModelGroupView.From).ToList();
}
