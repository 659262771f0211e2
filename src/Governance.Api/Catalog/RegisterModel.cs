using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Api.Keys;
using Governance.Domain.Catalog;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Catalog;

public sealed record RegisterModel(string Name, string Provider, string UpstreamModel, decimal InputPricePer1M, decimal OutputPricePer1M)
{
    public sealed class Validator : AbstractValidator<RegisterModel>
    {
        public Validator()
        {
            RuleFor(x => x.Name).IsName().NotEqual("*");
            RuleFor(x => x.Provider).NotEmpty();
            RuleFor(x => x.UpstreamModel).IsName();
            RuleFor(x => x.InputPricePer1M).GreaterThanOrEqualTo(0).LessThan(1_000_000);
            RuleFor(x => x.OutputPricePer1M).GreaterThanOrEqualTo(0).LessThan(1_000_000);
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
    public static IResult Post(RegisterModel command, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock)
    {
        var registered = new ModelRegistered(command.Name, command.Provider, command.UpstreamModel,
            command.InputPricePer1M, command.OutputPricePer1M, user.Actor(), clock.GetUtcNow());
        session.Events.StartStream<ModelDefinition>(command.Name, registered);
        return Results.Created($"/api/models/{command.Name}", ModelDefinition.Evolve(null, registered));
    }
}

// A separate class: Wolverine applies a class's Validate method to every endpoint in that class.
public static class ModelQueries
{
    [WolverineGet("/api/models")]
    public static async Task<IReadOnlyList<ModelDefinition>> List(IQuerySession session, CancellationToken ct) =>
        await session.Query<ModelDefinition>().OrderBy(m => m.Id).ToListAsync(ct);
}
