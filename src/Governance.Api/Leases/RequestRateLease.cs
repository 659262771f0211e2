using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Contracts.Leases;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Governance.Store.Leases;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Leases;

/// <summary>
/// An adapter asks for part of a key's fleet-wide rate allowance (docs/gateway.md, "Rate limits"):
/// <see cref="Requests"/> and <see cref="Tokens"/> it must get to admit its next call, <see cref="WantRequests"/> and
/// <see cref="WantTokens"/> what it would like (default: the need), <see cref="Parallel"/> the parallel slots it wants to
/// hold from now on, and <see cref="Return"/> what it did not use of an earlier slot's grant.
/// </summary>
public sealed record RequestRateLease(
    string AdapterId, string KeyId, long Requests, long? WantRequests, long Tokens, long? WantTokens, int Parallel, RateLeaseReturn? Return)
{
    public sealed class Validator : AbstractValidator<RequestRateLease>
    {
        public Validator()
        {
            RuleFor(x => x.AdapterId).NotEmpty().MaximumLength(Keys.KeyRules.MaxNameLength);
            RuleFor(x => x.KeyId).NotEmpty().MaximumLength(Keys.KeyRules.MaxNameLength);
            RuleFor(x => x.Requests).InclusiveBetween(0, KeyRateLimits.MaxRequestsPerMinute);
            RuleFor(x => x.WantRequests).InclusiveBetween(0, KeyRateLimits.MaxRequestsPerMinute).When(x => x.WantRequests is not null);
            RuleFor(x => x.Tokens).InclusiveBetween(0, KeyRateLimits.MaxTokensPerMinute);
            RuleFor(x => x.WantTokens).InclusiveBetween(0, KeyRateLimits.MaxTokensPerMinute).When(x => x.WantTokens is not null);
            RuleFor(x => x.Parallel).InclusiveBetween(0, KeyRateLimits.MaxParallelCap);
            RuleFor(x => x.Return!.Slot).GreaterThan(0).OverridePropertyName("return.slot").When(x => x.Return is not null);
            RuleFor(x => x.Return!.Requests).InclusiveBetween(0, KeyRateLimits.MaxRequestsPerMinute).OverridePropertyName("return.requests")
                .When(x => x.Return is not null);
            RuleFor(x => x.Return!.Tokens).InclusiveBetween(0, KeyRateLimits.MaxTokensPerMinute).OverridePropertyName("return.tokens")
                .When(x => x.Return is not null);
        }
    }
}

[Roles(OperatorRoles.Adapter)]
public static class RequestRateLeaseEndpoint
{
    /// <summary>All or nothing: a grant of every part asked for, or a refusal naming the limit the fleet has reached.</summary>
    [WolverinePost("/api/rate-leases")]
    public static async Task<IResult> Post(
        RequestRateLease command, IDocumentStore store, IQuerySession session, RateLeaseOptions options, ClaimsPrincipal user, TimeProvider clock,
        CancellationToken ct)
    {
        if (user.AdapterId() != command.AdapterId)
            return Problems.Forbidden($"This token acts as adapter '{user.AdapterId()}', not '{command.AdapterId}'.");

        var now = clock.GetUtcNow();
        var key = await session.LoadAsync<VirtualKey>(command.KeyId, ct);
        if (key is null)
        {
            var slot = RateAllowance.SlotOf(now);
            return Results.Ok(new RateLeaseAnswer(false, RateLeaseAnswer.UnknownKey, slot, RateAllowance.EndOf(slot), 0, 0, 0, 0));
        }
        var ask = new RateAsk(command.AdapterId, command.Requests, command.WantRequests ?? command.Requests, command.Tokens,
            command.WantTokens ?? command.Tokens, command.Parallel);
        return Results.Ok(await RateBook.RequestAsync(store, key.Id, key.Limits, ask, command.Return, options, now, ct));
    }
}
