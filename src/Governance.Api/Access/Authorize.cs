using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Contracts.Access;
using Governance.Domain.Access;
using Governance.Domain.Attribution;
using Governance.Hosting.Secrets;
using Governance.Domain.Budgets;
using Governance.Domain.Operators;
using Governance.Domain.Usage;
using Governance.Hosting;
using Governance.Projections.Audit;
using Governance.Projections.Hosting;
using Governance.Store.Access;
using Governance.Store.Audit;
using Governance.Store.Budgets;
using Wolverine.Http;
using Wolverine.Marten;

namespace Governance.Api.Access;

public sealed record Authorize(string Key, string Model, long? MaxInputTokens, long? MaxOutputTokens, string? User = null, IReadOnlyList<string>? Tags = null)
{
    public sealed class Validator : AbstractValidator<Authorize>
    {
        public Validator()
        {
            RuleFor(x => x.Key).NotEmpty().MaximumLength(Keys.KeyRules.MaxNameLength);
            RuleFor(x => x.Model).NotEmpty().MaximumLength(Keys.KeyRules.MaxNameLength);
            RuleFor(x => x.MaxInputTokens).InclusiveBetween(0, Pricing.MaxTokens);
            RuleFor(x => x.MaxOutputTokens).InclusiveBetween(0, Pricing.MaxTokens);
            RuleFor(x => x).Custom((a, context) =>
            {
                if ((AttributionRules.CheckUser("user", a.User) ?? AttributionRules.CheckTags("tags", a.Tags, out _)) is { } problem)
                    context.AddFailure(problem.Field, problem.Message);
            });
        }
    }
}

/// <summary>
/// Allow/deny for any gateway, ours or a third party's. Always 200; the answer is in the body. An allowed request
/// holds its worst-case cost at every budget level until usage referencing the reservation captures the actual cost.
/// A refusal of the key itself (unknown, revoked, expired, rotated, suspended) is counted per API node and minute, as the
/// proxy counts the keys its headers refuse: a caller with an adapter token chooses how many there are. A refusal decided
/// once the key was recognised (model, grant, budget) is recorded as its own <c>request_denied</c>, with a
/// <c>denialId</c> to explain it by.
/// </summary>
[Roles(OperatorRoles.Admin, OperatorRoles.Adapter)]
public static class AuthorizeEndpoint
{
    [WolverinePost("/api/authorize")]
    public static async Task<AuthorizeResult> Post(
        Authorize command, IMartenOutbox outbox, LedgerOptions options, ClaimsPrincipal user, TimeProvider clock,
        RefusalCounting refusals, EndUserPseudonyms pseudonyms, ILogger<Authorize> log, CancellationToken ct)
    {
        var session = outbox.Session!;
        var now = clock.GetUtcNow();
        var (decision, model, grant) = await session.DecideAsync(command.Key, command.Model, now, ct);
        if (HeaderRefusals.DecidedByKeyAlone(decision))
        {
            refusals.Count(command.Key, decision, now);
            return new AuthorizeResult(false, decision.Reason, decision.KeyId, decision.App, null, null, null, [], null);
        }
        // Who and what the request is for: the end user's pseudonym and the tags, the key's own added (docs/attribution.md).
        var key = await session.LoadAsync<Domain.Keys.VirtualKey>(decision.KeyId!, ct);
        AttributionRules.CheckTags("tags", command.Tags, out var reported);
        AttributionRules.Fill("tags", reported, key?.Tags ?? [], out var tags);
        var endUser = command.User is null ? null : pseudonyms.Of(decision.App!, command.User);
        if (!decision.Allowed)
        {
            var denied = RequestDenied.Of(NewDenialId(), command.Key, decision, command.Model, user.Actor(), now) with { User = endUser, Tags = tags };
            await Denials.RecordAsync(session, denied, log);
            return new AuthorizeResult(false, decision.Reason, decision.KeyId, decision.App, null, null, null, [], null) { DenialId = denied.RequestId };
        }

        var price = model!.PriceAt(now)!;
        var worstCase = Pricing.WorstCase(command.MaxInputTokens ?? options.DefaultMaxInputTokens, command.MaxOutputTokens ?? options.DefaultMaxOutputTokens, price);
        var hold = await Holds.PlaceAsync(session, outbox,
            new HoldRequest(decision.KeyId!, decision.App!, grant?.Id, model.Id, price.Version, worstCase, options.HoldTtl, user.Actor())
            {
                // An adapter's hold belongs to its adapter id, so a replacement token for the same adapter can settle it.
                Holder = user.AdapterId() ?? user.Actor(),
                User = endUser,
                Tags = tags,
            }, now, ct);

        var remaining = hold.Standings.Select(BudgetRemaining.From).ToList();
        if (hold.Allowed)
            return new AuthorizeResult(true, null, decision.KeyId, decision.App, hold.ReservationId, hold.ExpiresAt, worstCase, remaining, null);

        var shortfall = RequestDenied.OverBudget(NewDenialId(), decision, model.Id, hold.Shortfall!, worstCase, user.Actor(), now) with { User = endUser, Tags = tags };
        await Denials.RecordAsync(session, shortfall, log);
        return new AuthorizeResult(false, DenialReasons.BudgetExceeded, decision.KeyId, decision.App, null, null, worstCase, remaining,
            BudgetRemaining.From(hold.Shortfall!)) { DenialId = shortfall.RequestId };
    }

    /// <summary>A gateway's allowed request gets its id from the gateway (usage report); a denial's id is ours.</summary>
    private static string NewDenialId() => RequestIds.New();
}
