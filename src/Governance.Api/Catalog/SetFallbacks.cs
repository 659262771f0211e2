using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Api.Keys;
using Governance.Domain.Catalog;
using Governance.Domain.Operators;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Catalog;

public sealed record SetFallbacks(IReadOnlyList<string> Fallbacks)
{
    public sealed class Validator : AbstractValidator<SetFallbacks>
    {
        public Validator()
        {
            RuleFor(x => x.Fallbacks).NotNull().WithMessage("'fallbacks' is required (an empty list removes them).")
                .Must(f => f is null || f.Count <= RoutingRules.MaxFallbacks)
                .WithMessage($"'fallbacks' may list at most {RoutingRules.MaxFallbacks} models.");
            RuleForEach(x => x.Fallbacks).IsName();
            RuleFor(x => x.Fallbacks).Custom((fallbacks, context) =>
            {
                if (fallbacks is null)
                    return;
                for (var i = 0; i < fallbacks.Count; i++)
                    if (fallbacks.Take(i).Contains(fallbacks[i]))
                        context.AddFailure($"Fallbacks[{i}]", $"'{fallbacks[i]}' is listed twice.");
            });
        }
    }
}

/// <summary>
/// PUT /api/models/{name}/fallbacks: the models tried, in order, when every deployment of this one failed. Each must be a
/// routed model that some API serving this one reaches, natively or translated (<see cref="GatewayApis"/>): a GPT model may
/// fall back to a Claude model. A list that would let fallbacks lead back to the model (at any depth) is refused.
/// </summary>
[Roles(OperatorRoles.Admin)]
public static class SetFallbacksEndpoint
{
    [WolverinePut("/api/models/{name}/fallbacks")]
    public static async Task<IResult> Put(string name, SetFallbacks command, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<ModelDefinition>(name, ct);
        if (stream.Aggregate is null)
            return Problems.NotFound($"Model '{name}'");
        if (stream.Aggregate.IsGroup)
            return Problems.Field("name", $"'{name}' is a model group: its members' own fallbacks apply.");

        // The catalog is small; the cycle check needs every model's fallbacks anyway.
        var models = (await session.Query<ModelDefinition>().ToListAsync(ct)).ToDictionary(m => m.Id);
        var providers = (await session.Query<Provider>().ToListAsync(ct)).ToDictionary(p => p.Id);
        var kinds = KindsOf(stream.Aggregate, providers);
        IReadOnlyList<string> FallbacksOf(string model) => models.TryGetValue(model, out var m) ? m.Fallbacks : [];

        for (var i = 0; i < command.Fallbacks.Count; i++)
        {
            var field = $"fallbacks[{i}]";
            var fallback = command.Fallbacks[i];
            if (fallback == name)
                return Problems.Field(field, "A model cannot fall back to itself.");
            if (!models.TryGetValue(fallback, out var model) || !model.IsRouted)
                return Problems.Field(field, $"Model '{fallback}' is not registered with a route (POST /api/models).");
            // A call reaches a fallback only through an API that serves both (the route planner skips the rest).
            if (kinds.Count > 0 && KindsOf(model, providers) is { Count: > 0 } theirs && GatewayApis.Sharing(kinds, theirs).Count == 0)
                return Problems.Field(field,
                    $"'{fallback}' is served by {string.Join(", ", theirs)} providers, which no API serving '{name}' ({string.Join(", ", kinds)}) reaches: a call to '{name}' could never fall back to it.");
            if (RoutingRules.CycleThrough(name, [fallback], FallbacksOf) is { } cycle)
                return Problems.Field(field, $"Fallbacks may not form a cycle: {string.Join(" → ", cycle)}.");
        }

        if (stream.Aggregate.Fallbacks.SequenceEqual(command.Fallbacks))
            return Results.Ok(RoutingView.From(stream.Aggregate));
        var set = new ModelFallbacksSet(name, command.Fallbacks.ToList(), user.Actor(), clock.GetUtcNow());
        stream.AppendOne(set);
        return Results.Ok(RoutingView.From(ModelDefinition.Evolve(stream.Aggregate, set)!));
    }

    private static IReadOnlyList<string> KindsOf(ModelDefinition model, IReadOnlyDictionary<string, Provider> providers) =>
        model.Routes().Select(d => providers.GetValueOrDefault(d.Provider)?.Kind).OfType<string>().Distinct().ToList();
}
