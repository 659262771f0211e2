using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Api.Keys;
using Governance.Api.Prices;
using Governance.Domain.Catalog;
using Governance.Domain.Operators;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Catalog;

/// <summary>
/// One upstream for a model. <see cref="Weight"/> defaults to 1; 0 makes it a standby, tried after the weighted ones.
/// <see cref="InputPricePer1M"/> and <see cref="OutputPricePer1M"/> (both or neither): what this deployment costs the
/// operator when it differs from the model's price; the cost-based strategy ranks by it (docs/routing.md).
/// </summary>
public sealed record DeploymentInput(string Provider, string UpstreamModel, int? Weight, decimal? InputPricePer1M = null, decimal? OutputPricePer1M = null)
{
    public Deployment ToDeployment() => Deployment.Of(Provider, UpstreamModel, Weight ?? 1) with
    {
        Price = InputPricePer1M is { } input && OutputPricePer1M is { } output ? new DeploymentPrice(input, output) : null,
    };
}

public sealed record SetDeployments(IReadOnlyList<DeploymentInput> Deployments)
{
    public sealed class Validator : AbstractValidator<SetDeployments>
    {
        public Validator()
        {
            RuleFor(x => x.Deployments).NotEmpty().WithMessage("'deployments' must list at least one deployment.")
                .Must(d => d is null || d.Count <= RoutingRules.MaxDeployments)
                .WithMessage($"'deployments' may list at most {RoutingRules.MaxDeployments} deployments.");
            RuleForEach(x => x.Deployments).NotNull().ChildRules(d =>
            {
                d.RuleFor(x => x.Provider).NotEmpty();
                d.RuleFor(x => x.UpstreamModel).IsName();
                d.RuleFor(x => x.Weight).InclusiveBetween(0, Deployment.MaxWeight);
                d.RuleFor(x => x.InputPricePer1M).IsPrice();
                d.RuleFor(x => x.OutputPricePer1M).IsPrice();
                d.RuleFor(x => x.OutputPricePer1M).NotNull().When(x => x.InputPricePer1M is not null)
                    .WithMessage("'outputPricePer1M' is required with 'inputPricePer1M'.");
                d.RuleFor(x => x.InputPricePer1M).NotNull().When(x => x.OutputPricePer1M is not null)
                    .WithMessage("'inputPricePer1M' is required with 'outputPricePer1M'.");
            });
            RuleFor(x => x.Deployments).Custom((deployments, context) =>
            {
                if (deployments is null)
                    return;
                for (var i = 0; i < deployments.Count; i++)
                    if (deployments[i] is { } d && deployments.Take(i).Any(e => e?.Provider == d.Provider && e.UpstreamModel == d.UpstreamModel))
                        context.AddFailure($"Deployments[{i}]", $"'{d.Provider}/{d.UpstreamModel}' is listed twice.");
            });
        }
    }
}

/// <summary>A model's routing as operators see it.</summary>
public sealed record RoutingView(string Model, IReadOnlyList<Deployment> Deployments, IReadOnlyList<string> Fallbacks)
{
    public static RoutingView From(ModelDefinition model) => new(model.Id, model.Routes(), model.Fallbacks);
}

/// <summary>
/// PUT /api/models/{name}/deployments: where calls to the model go. Replaces the list; the first deployment becomes the
/// model's primary route. Every provider must exist and all must speak the same API (OpenAI's or Anthropic's).
/// </summary>
[Roles(OperatorRoles.Admin)]
public static class SetDeploymentsEndpoint
{
    [WolverinePut("/api/models/{name}/deployments")]
    public static async Task<IResult> Put(string name, SetDeployments command, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<ModelDefinition>(name, ct);
        if (stream.Aggregate is null)
            return Problems.NotFound($"Model '{name}'");
        if (stream.Aggregate.IsGroup)
            return Problems.Field("name", $"'{name}' is a model group: it routes to its members' deployments (PUT /api/model-groups/{{name}}).");

        var providers = (await session.LoadManyAsync<Provider>(ct, command.Deployments.Select(d => d.Provider).Distinct())).ToDictionary(p => p.Id);
        ApiFamily? family = null;
        for (var i = 0; i < command.Deployments.Count; i++)
        {
            var wanted = command.Deployments[i].Provider;
            if (!providers.TryGetValue(wanted, out var provider))
                return Problems.Field($"deployments[{i}].provider", $"Provider '{wanted}' is not registered.");
            var kind = ProviderKinds.FamilyOf(provider.Kind);
            if (family is not null && kind != family)
                return Problems.Field($"deployments[{i}].provider",
                    $"All deployments of a model must speak one API: '{wanted}' speaks {ProviderKinds.Describe(kind)}, the ones before it {ProviderKinds.Describe(family.Value)}.");
            family = kind;
        }

        var deployments = command.Deployments.Select(d => d.ToDeployment()).ToList();
        // Setting what is already there is a no-op, not a new event.
        if (stream.Aggregate.Deployments.SequenceEqual(deployments))
            return Results.Ok(RoutingView.From(stream.Aggregate));
        var set = new ModelDeploymentsSet(name, deployments, user.Actor(), clock.GetUtcNow());
        stream.AppendOne(set);
        return Results.Ok(RoutingView.From(ModelDefinition.Evolve(stream.Aggregate, set)!));
    }
}

[Roles(OperatorRoles.Admin, OperatorRoles.Auditor, OperatorRoles.Approver, OperatorRoles.AppOwner)]
public static class RoutingQueries
{
    [WolverineGet("/api/models/{name}/routing")]
    public static async Task<IResult> Get(string name, IQuerySession session, CancellationToken ct) =>
        await session.LoadAsync<ModelDefinition>(name, ct) is { } model
            ? Results.Ok(RoutingView.From(model))
            : Problems.NotFound($"Model '{name}'");
}
