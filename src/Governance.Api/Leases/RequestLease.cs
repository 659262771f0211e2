using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Contracts.Leases;
using Governance.Domain.Access;
using Governance.Domain.Budgets;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Governance.Projections.Leases;
using Governance.Store.Access;
using Governance.Store.Leases;
using Wolverine.Http;
using Wolverine.Marten;

namespace Governance.Api.Leases;

/// <summary>
/// An adapter asks for slices of every budget the key's requests must fit. <see cref="Need"/>: what it must hold in
/// addition to admit its next request (its worst case, less what its slices still have uncommitted); <see cref="Want"/>:
/// what it would like (default: need × <c>Leases__WantMultiplier</c>). <see cref="Model"/>, for a restricted model,
/// adds the level of the access grant that admits it. <see cref="Recall"/> false (an adapter topping up ahead of need):
/// granted from free headroom only, never recalling another adapter's lease.
/// </summary>
public sealed record RequestLease(string AdapterId, string KeyId, string? Model, decimal Need, decimal? Want, bool? Recall = null)
{
    public const decimal MaxAmount = 1_000_000m;

    public sealed class Validator : AbstractValidator<RequestLease>
    {
        public Validator()
        {
            RuleFor(x => x.AdapterId).NotEmpty().MaximumLength(Keys.KeyRules.MaxNameLength);
            RuleFor(x => x.KeyId).NotEmpty().MaximumLength(Keys.KeyRules.MaxNameLength);
            RuleFor(x => x.Model).NotEmpty().MaximumLength(Keys.KeyRules.MaxNameLength).When(x => x.Model is not null);
            RuleFor(x => x.Need).GreaterThan(0m).LessThanOrEqualTo(MaxAmount);
            RuleFor(x => x.Want).GreaterThanOrEqualTo(x => x.Need).LessThanOrEqualTo(MaxAmount).When(x => x.Want is not null)
                .WithMessage($"'want' must be at least 'need' and at most {MaxAmount}.");
        }
    }
}

[Roles(OperatorRoles.Adapter)]
public static class RequestLeaseEndpoint
{
    [WolverinePost("/api/leases")]
    public static async Task<IResult> Post(
        RequestLease command, IMartenOutbox outbox, LeaseOptions options, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        if (user.AdapterId() != command.AdapterId)
            return Problems.Forbidden($"This token acts as adapter '{user.AdapterId()}', not '{command.AdapterId}'.");

        var session = outbox.Session!;
        var now = clock.GetUtcNow();
        var key = await session.LoadAsync<VirtualKey>(command.KeyId, ct);
        var model = key is null || command.Model is null ? null : await session.LoadAsync<ModelDefinition>(command.Model, ct);
        var standing = LeaseDecider.Standing(key, command.Model, model, now);
        var grant = standing.NeedsGrant(model) ? await AccessCheck.ActiveGrantAsync(session, key!.Id, key.App, model!.Id, now, ct) : null;
        if (standing.WithGrant(model, grant) is { Allowed: false } refused)
            return Results.Ok(LeaseResult.Refused(command.KeyId, refused.Reason!));
        var grantId = grant?.Id;

        var decision = await LeaseBook.RequestAsync(session, outbox,
            new LeaseRequest(command.AdapterId, key!.Id, key.App, grantId, command.Need, command.Want, user.Actor(), command.Recall ?? true), options.Sizing, now, ct);
        return Results.Ok(decision.Verdict switch
        {
            LeaseVerdict.Granted => new LeaseResult(true, null, key.Id, decision.Slices.Select(LeaseSliceView.From).ToList(), [], null, null),
            LeaseVerdict.Retry => new LeaseResult(false, LeaseResult.Retry, key.Id, [], decision.Recalled, options.RetryAfterMs, null),
            LeaseVerdict.TooManyLeases => LeaseResult.Refused(key.Id, LeaseResult.TooManyLeases),
            _ => new LeaseResult(false, DenialReasons.BudgetExceeded, key.Id, [], [], null, LeaseShortfall.From(decision.Shortfall!)),
        });
    }
}
