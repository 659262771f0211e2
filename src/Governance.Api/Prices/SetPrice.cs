using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Domain.Catalog;
using Governance.Domain.Operators;
using Governance.Domain.Pricing;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Prices;

/// <summary>
/// A new price for a model, from <see cref="EffectiveFrom"/> (default: now). Earlier prices stay in the history. Limits
/// of one request given here replace the model's at once (not from EffectiveFrom); those not given keep theirs.
/// </summary>
public sealed record SetPrice(
    decimal InputPer1M, decimal OutputPer1M, decimal? CachedInputPer1M, DateTimeOffset? EffectiveFrom, string? Source,
    long? MaxInputTokens = null, long? MaxOutputTokens = null, decimal? MaxCostPerPart = null)
{
    public ModelLimits Limits() => new(MaxInputTokens, MaxOutputTokens, MaxCostPerPart);

    public sealed class Validator : AbstractValidator<SetPrice>
    {
        public Validator()
        {
            RuleFor(x => x.InputPer1M).IsPrice();
            RuleFor(x => x.OutputPer1M).IsPrice();
            RuleFor(x => x.CachedInputPer1M).IsPrice();
            RuleFor(x => x.Source).MaximumLength(500);
            RuleFor(x => x.MaxInputTokens).IsTokenLimit();
            RuleFor(x => x.MaxOutputTokens).IsTokenLimit();
            RuleFor(x => x.MaxCostPerPart).IsCostPerPart();
        }
    }
}

public static class SetPriceEndpoint
{
    /// <summary>Prices are never changed retroactively: the ledger already priced past requests with what was in effect.</summary>
    public static IResult Validate(SetPrice command, TimeProvider clock) =>
        command.EffectiveFrom is { } from && from < clock.GetUtcNow()
            ? Problems.Field("effectiveFrom", "'effectiveFrom' cannot be in the past: recorded requests keep the price they were charged.")
            : WolverineContinue.Result();

    [WolverinePut("/api/prices/{model}")]
    [Roles(OperatorRoles.Admin)]
    public static async Task<ModelView> Put(string model, SetPrice command, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var stream = await session.Events.FetchForWriting<ModelDefinition>(model, ct);
        var set = new PriceSet(model, command.InputPer1M, command.OutputPer1M, command.CachedInputPer1M, command.EffectiveFrom ?? now,
            command.Source ?? "set by operator", user.Actor(), now)
        {
            Limits = command.Limits() is { IsEmpty: false } limits ? limits : null,
        };
        stream.AppendOne(set);
        return ModelView.From(ModelDefinition.Evolve(stream.Aggregate, set)!, now);
    }
}

public static class GetPriceEndpoint
{
    [WolverineGet("/api/prices/{model}")]
    [Roles(OperatorRoles.Admin, OperatorRoles.Auditor, OperatorRoles.Approver, OperatorRoles.AppOwner)]
    public static Task<IResult> Get(string model, string? asOf, IQuerySession session, TimeProvider clock, CancellationToken ct) =>
        // The price history is part of the model's view: one read, two addresses.
        Catalog.ModelQueries.Get(model, asOf, session, clock, ct);
}
