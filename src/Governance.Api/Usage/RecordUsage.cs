using System.Security.Claims;
using System.Text.Json;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Contracts.Usage;
using Governance.Domain.Operators;
using Governance.Domain.Usage;
using Governance.Store.Usage;
using Marten;
using Wolverine.Http;
using Wolverine.Runtime;

namespace Governance.Api.Usage;

/// <summary>
/// One usage record from an adapter. <see cref="OccurredAt"/> defaults to the time it is received. A request admitted
/// under budget leases names them in <see cref="LeaseIds"/> (one per level); its cost is drawn from them, and
/// <see cref="WorstCaseCost"/> says what it was admitted for and <see cref="DecidedAtSequence"/> which feed sequence the
/// decision rested on (both kept on the ledger entry). A routing adapter says how it served the request: the
/// <see cref="Deployment"/> that answered, the attempts that failed before, whether the tokens are <see cref="Estimated"/>,
/// and the <see cref="RequestedModel"/> when a fallback served it. A field this record does not know is refused, not
/// dropped (<see cref="WireContracts"/>).
/// </summary>
public sealed record UsageRecord(
    string RequestId, string KeyId, string Model, string? Provider, long InputTokens, long CachedTokens, long OutputTokens,
    long ReasoningTokens, long LatencyMs, int Status, DateTimeOffset? OccurredAt, string? ReservationId, IReadOnlyList<string>? LeaseIds = null,
    string? Deployment = null, IReadOnlyList<FailedAttempt>? FailedAttempts = null, bool Estimated = false, string? RequestedModel = null,
    decimal? WorstCaseCost = null, long? DecidedAtSequence = null, RoutingChoice? Routing = null)
{
    /// <summary>Key, app, team and grant: a request draws on at most one lease per level.</summary>
    public const int MaxLeases = 4;

    /// <summary>More than any routing chain makes (fallbacks × attempts per deployment).</summary>
    public const int MaxFailedAttempts = 64;

    public const int MaxNameLength = 200;

    /// <summary>What one lease may hold at most: no request can have been admitted for more.</summary>
    public const decimal MaxWorstCase = 1_000_000m;

    public sealed class Validator : AbstractValidator<UsageRecord>
    {
        public Validator()
        {
            RuleFor(x => x.RequestId).Must(RequestIds.IsValid).WithMessage($"'requestId' must be {RequestIds.Shape}.");
            RuleFor(x => x.KeyId).NotEmpty().MaximumLength(MaxNameLength);
            RuleFor(x => x.Model).NotEmpty().MaximumLength(MaxNameLength);
            RuleFor(x => x.InputTokens).InclusiveBetween(0, Pricing.MaxTokens);
            RuleFor(x => x.OutputTokens).InclusiveBetween(0, Pricing.MaxTokens);
            RuleFor(x => x.CachedTokens).InclusiveBetween(0, Pricing.MaxTokens)
                .LessThanOrEqualTo(x => x.InputTokens).WithMessage("'cachedTokens' is part of 'inputTokens' and cannot exceed it.");
            RuleFor(x => x.ReasoningTokens).InclusiveBetween(0, Pricing.MaxTokens)
                .LessThanOrEqualTo(x => x.OutputTokens).WithMessage("'reasoningTokens' is part of 'outputTokens' and cannot exceed it.");
            RuleFor(x => x.LatencyMs).GreaterThanOrEqualTo(0);
            RuleFor(x => x.WorstCaseCost).InclusiveBetween(0m, MaxWorstCase).When(x => x.WorstCaseCost is not null);
            RuleFor(x => x.DecidedAtSequence).GreaterThanOrEqualTo(0).When(x => x.DecidedAtSequence is not null);
            RuleFor(x => x.Status).InclusiveBetween(100, 599);
            RuleFor(x => x.LeaseIds).Must(ids => ids is null || (ids.Count <= MaxLeases && ids.Distinct().Count() == ids.Count))
                .WithMessage($"'leaseIds' names at most {MaxLeases} distinct leases, one per budget level.");
            RuleForEach(x => x.LeaseIds).NotEmpty();
            RuleFor(x => x.LeaseIds).Must(ids => ids is null || ids.Count == 0).When(x => x.ReservationId is not null)
                .WithMessage("A request is settled either against its reservation or against leases, not both.");
            RuleFor(x => x.Deployment).NotEmpty().MaximumLength(MaxNameLength).When(x => x.Deployment is not null);
            RuleFor(x => x.RequestedModel).NotEmpty().MaximumLength(MaxNameLength).When(x => x.RequestedModel is not null);
            RuleFor(x => x.Routing!).ChildRules(routing =>
            {
                routing.RuleFor(r => r.Strategy).NotEmpty().MaximumLength(64);
                routing.RuleFor(r => r.Chosen).NotEmpty().MaximumLength(MaxNameLength);
                routing.RuleFor(r => r.Reason).NotEmpty().MaximumLength(RoutingChoice.MaxReasonLength);
            }).When(x => x.Routing is not null);
            RuleFor(x => x.FailedAttempts).Must(a => a is null || a.Count <= MaxFailedAttempts)
                .WithMessage($"'failedAttempts' holds at most {MaxFailedAttempts} attempts.");
            RuleForEach(x => x.FailedAttempts).NotNull().ChildRules(attempt =>
            {
                attempt.RuleFor(a => a.Model).NotEmpty().MaximumLength(MaxNameLength);
                attempt.RuleFor(a => a.Deployment).NotEmpty().MaximumLength(MaxNameLength);
                attempt.RuleFor(a => a.Reason).NotEmpty().MaximumLength(64);
                attempt.RuleFor(a => a.Status).InclusiveBetween(100, 599).When(a => a.Status is not null);
                attempt.RuleFor(a => a.LatencyMs).GreaterThanOrEqualTo(0);
            });
        }
    }

    public UsageReport ToReport(DateTimeOffset now) => new(RequestId, KeyId, Model, Provider, InputTokens, CachedTokens, OutputTokens,
        ReasoningTokens, LatencyMs, Status, OccurredAt ?? now, ReservationId)
    {
        LeaseIds = LeaseIds ?? [], Deployment = Deployment, FailedAttempts = FailedAttempts ?? [], Estimated = Estimated, RequestedModel = RequestedModel,
        WorstCaseCost = WorstCaseCost, DecidedAtSequence = DecidedAtSequence, Routing = Routing, OccurredAtStated = OccurredAt is not null,
    };
}

public sealed record UsageResult(IReadOnlyList<UsageOutcome> Results);

/// <summary>
/// POST /api/usage: one record or an array of up to 5,000, written in one transaction. Bad input anywhere rejects
/// the whole batch (400, errors keyed "[index].field"), and nothing is written: a request id of another shape, a time in
/// the future or outside the lease or hold that admitted it, another adapter's lease or hold. A request id already
/// recorded returns its original result and writes nothing, also when two copies race.
/// </summary>
[Roles(OperatorRoles.Admin, OperatorRoles.Adapter)]
public static class RecordUsageEndpoint
{
    public const int MaxBatch = 5_000;

    [WolverinePost("/api/usage")]
    public static async Task<IResult> Post(
        HttpRequest request, IValidator<UsageRecord> validator, IDocumentStore store, IWolverineRuntime runtime,
        UsageOptions options, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        var (records, problem) = await BatchBody.ReadAsync(request, validator, "usage record", MaxBatch, ct);
        if (problem is not null)
            return problem;

        var now = clock.GetUtcNow();
        try
        {
            // An adapter settles only what it holds (its adapter id's leases and holds); an admin may replay anyone's records.
            var caller = new UsageCaller(user.Actor(), user.AdapterId() ?? user.Actor(), user.IsInRole(OperatorRoles.Admin));
            return Results.Ok(new UsageResult(await UsageLedger.RecordAsync(store, runtime, records!.Select(r => r.ToReport(now)).ToList(), caller, options, now, ct)));
        }
        catch (UsageRejected e)
        {
            return Problems.Field($"[{e.Index}].{e.Field}", e.Message);
        }
    }
}
