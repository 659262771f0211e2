using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Contracts.Audit;
using Governance.Domain.Access;
using Governance.Domain.Operators;
using Governance.Store.Audit;
using Marten;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Wolverine.Http;

namespace Governance.Api.Usage;

/// <summary>What an adapter may say about a minute of refusals from the headers (<see cref="RefusalReport"/>).</summary>
public sealed class RefusalReportValidator : AbstractValidator<RefusalReport>
{
    /// <summary>An adapter counts at most 1,000 keys a minute (the rest under no key id), plus a count per reason.</summary>
    public const int MaxCounts = 2_000;

    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(5);

    public RefusalReportValidator(TimeProvider clock)
    {
        RuleFor(x => x.AdapterId).NotEmpty().MaximumLength(200);
        RuleFor(x => x.Incarnation).NotEmpty().Matches("^[0-9a-f]{8,32}$").WithMessage("'incarnation' is 8 to 32 lower-case hex digits.");
        RuleFor(x => x.Minute).Must(m => m.UtcTicks % TimeSpan.TicksPerMinute == 0).WithMessage("'minute' is the start of a minute.")
            // An adapter's clock may run a little ahead of the API's, and it ships the current minute when it stops.
            .Must(m => m <= clock.GetUtcNow() + MaxSkew).WithMessage("'minute' lies in the future.");
        RuleFor(x => x.Counts).NotEmpty().Must(c => c is null || c.Count <= MaxCounts).WithMessage($"'counts' holds at most {MaxCounts} entries.");
        RuleForEach(x => x.Counts).NotNull().ChildRules(count =>
        {
            count.RuleFor(c => c.Reason).Must(HeaderRefusals.Reasons.Contains)
                .WithMessage($"'reason' is one of {string.Join(", ", HeaderRefusals.Reasons.Order(StringComparer.Ordinal))}.");
            count.RuleFor(c => c.KeyId).Null().When(c => !HeaderRefusals.Keyed.Contains(c.Reason))
                .WithMessage("Only refusals of a known key (revoked, expired, rotated, suspended) name a key id.");
            count.RuleFor(c => c.KeyId).MaximumLength(64);
            count.RuleFor(c => c.Count).InclusiveBetween(1, 1_000_000_000_000);
        });
    }
}

public sealed record RefusalOutcome(string StreamId, bool Duplicate);

public sealed record RefusalsResult(IReadOnlyList<RefusalOutcome> Results);

/// <summary>
/// POST /api/refusals: an adapter's minutes of refusals decided from the headers alone (unknown, malformed and missing
/// keys, revoked, expired, rotated and suspended keys, throttled addresses, the adapter's governance unavailable), one
/// report or an array of up to 5,000, each appended as one <c>refusals_counted</c> event in its own stream
/// (<see cref="RefusalsCounted.StreamId"/>): a flood of bad keys costs the history one event per adapter and minute, not
/// one per attempt. A report shipped again is a duplicate and writes nothing. An adapter token reports for its own
/// adapter only.
/// </summary>
[Roles(OperatorRoles.Admin, OperatorRoles.Adapter)]
public static class RecordRefusalsEndpoint
{
    [WolverinePost("/api/refusals")]
    public static async Task<IResult> Post(
        HttpRequest request, IValidator<RefusalReport> validator, IDocumentStore store, ClaimsPrincipal user,
        TimeProvider clock, CancellationToken ct)
    {
        var (reports, problem) = await BatchBody.ReadAsync(request, validator, "refusal report", RecordUsageEndpoint.MaxBatch, ct);
        if (problem is not null)
            return problem;
        if (user.AdapterId() is { } adapter && reports!.FindIndex(r => r.AdapterId != adapter) is var other and >= 0)
            return Problems.Forbidden($"This token acts as adapter '{adapter}', not '{reports[other].AdapterId}' ([{other}].adapterId).");

        var duplicates = await Refusals.RecordBatchAsync(store, reports!, user.Actor(), clock.GetUtcNow(), ct);
        return Results.Ok(new RefusalsResult(reports!.Select((r, i) => new RefusalOutcome(r.StreamId, duplicates[i])).ToList()));
    }
}
