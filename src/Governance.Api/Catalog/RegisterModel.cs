using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Api.Keys;
using Governance.Api.Prices;
using Governance.Domain;
using Governance.Domain.Catalog;
using Governance.Domain.Operators;
using Governance.Domain.Pricing;
using Governance.Domain.Usage;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Catalog;

/// <summary>
/// Routes a model name to a provider. Prices are optional when the name already has one (from the default
/// catalog or an import); when given, they take effect now. So are the limits of one request (<see cref="ModelLimits"/>):
/// those given replace the catalog's, the others keep it.
/// </summary>
public sealed record RegisterModel(
    string Name, string Provider, string UpstreamModel, decimal? InputPricePer1M, decimal? OutputPricePer1M, decimal? CachedInputPricePer1M,
    long? MaxInputTokens = null, long? MaxOutputTokens = null, decimal? MaxCostPerPart = null)
{
    public ModelLimits Limits() => new(MaxInputTokens, MaxOutputTokens, MaxCostPerPart);

    public sealed class Validator : AbstractValidator<RegisterModel>
    {
        public Validator()
        {
            RuleFor(x => x.Name).IsName().NotEqual("*")
                .Must(n => !RequestIds.IsReserved(n)).WithMessage($"'name' may not start with '{RequestIds.Prefix}': that prefix is the request ids' namespace.");
            RuleFor(x => x.Provider).NotEmpty();
            RuleFor(x => x.UpstreamModel).IsName();
            RuleFor(x => x.InputPricePer1M).IsPrice();
            RuleFor(x => x.OutputPricePer1M).IsPrice();
            RuleFor(x => x.CachedInputPricePer1M).IsPrice();
            RuleFor(x => x.OutputPricePer1M).NotNull().When(x => x.InputPricePer1M is not null)
                .WithMessage("'outputPricePer1M' is required with 'inputPricePer1M'.");
            RuleFor(x => x.InputPricePer1M).NotNull().When(x => x.OutputPricePer1M is not null || x.CachedInputPricePer1M is not null)
                .WithMessage("'inputPricePer1M' is required with the other prices.");
            RuleFor(x => x.MaxInputTokens).IsTokenLimit();
            RuleFor(x => x.MaxOutputTokens).IsTokenLimit();
            RuleFor(x => x.MaxCostPerPart).IsCostPerPart();
        }
    }
}

public static class RegisterModelEndpoint
{
    /// <summary>A model must point at a registered provider; otherwise the field at fault is named.</summary>
    public static async Task<IResult> ValidateAsync(RegisterModel command, IQuerySession session, CancellationToken ct) =>
        await session.LoadAsync<Provider>(command.Provider, ct) is null
            ? Problems.Field("provider", $"Provider '{command.Provider}' is not registered.")
            : WolverineContinue.Result();

    [WolverinePost("/api/models")]
    [Roles(OperatorRoles.Admin)]
    public static async Task<IResult> Post(RegisterModel command, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var stream = await session.Events.FetchForWriting<ModelDefinition>(command.Name, ct);
        if (stream.Aggregate is { IsRouted: true })
            throw new DomainException("already_exists", $"Model '{command.Name}' is already registered.");
        if (stream.Aggregate is { IsGroup: true })
            return Problems.Field("name", $"'{command.Name}' is a model group (PUT /api/model-groups/{{name}}); a model needs a name of its own.");

        List<object> events =
        [
            new ModelRegistered(command.Name, command.Provider, command.UpstreamModel, user.Actor(), now)
            {
                Limits = command.Limits() is { IsEmpty: false } limits ? limits : null,
            },
        ];
        if (command.InputPricePer1M is { } input)
            events.Add(new PriceSet(command.Name, input, command.OutputPricePer1M!.Value, command.CachedInputPricePer1M, now, "set at registration", user.Actor(), now));
        stream.AppendMany(events);
        return Results.Created($"/api/models/{command.Name}", ModelView.From(events.Aggregate(stream.Aggregate, (m, e) => ModelDefinition.Evolve(m, e))!, now));
    }
}

// A separate class: Wolverine applies a class's Validate method to every endpoint in that class.
[Roles(OperatorRoles.Admin, OperatorRoles.Auditor, OperatorRoles.Approver, OperatorRoles.AppOwner)]
public static class ModelQueries
{
    [WolverineGet("/api/models")]
    public static async Task<IReadOnlyList<ModelView>> List(IQuerySession session, TimeProvider clock, CancellationToken ct) =>
        (await session.Query<ModelDefinition>().OrderBy(m => m.Id).ToListAsync(ct)).Select(m => ModelView.From(m, clock.GetUtcNow())).ToList();

    /// <summary>The model now, or with <c>?asOf=</c> as its events had made it then (route, price in effect, history, policy).</summary>
    [WolverineGet("/api/models/{name}")]
    public static async Task<IResult> Get(string name, string? asOf, IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (!AsOf.TryParse(asOf, now, out var at, out var problem))
            return problem;
        return await PastModels.ViewAsync(session, name, at, now, ct) is { } view
            ? Results.Ok(view)
            : Problems.NotFound(at is { } instant ? $"Model '{name}' as of {instant:O}" : $"Model '{name}'");
    }
}
