using System.Security.Claims;
using System.Text.Json;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Domain.Access;
using Governance.Domain.Attribution;
using Governance.Domain.Operators;
using Governance.Domain.Usage;
using Governance.Store.Audit;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Usage;

/// <summary>
/// One refused request as an adapter recorded it (<see cref="RequestDenied"/> without the actor: the denial is recorded
/// as the caller's). Never carries the presented key, only the key id embedded in it. A field this record does not know
/// is refused, not dropped (<see cref="WireContracts"/>).
/// </summary>
public sealed record DenialRecord(
    string RequestId, string? KeyId, string? App, string Model, string Reason, string? Level, string? Owner, decimal? Remaining,
    decimal? WorstCaseCost, DateTimeOffset? DeniedAt, string? User = null, IReadOnlyList<string>? Tags = null)
{
    public sealed class Validator : AbstractValidator<DenialRecord>
    {
        public Validator()
        {
            // The request id is the denial's stream id: only a request id's shape, so a denial can never start another stream.
            RuleFor(x => x.RequestId).Must(RequestIds.IsValid).WithMessage($"'requestId' must be {RequestIds.Shape}.");
            RuleFor(x => x.KeyId).MaximumLength(200);
            RuleFor(x => x.App).MaximumLength(200);
            RuleFor(x => x.Model).NotNull().MaximumLength(RequestDenied.MaxModelLength);
            RuleFor(x => x.Reason).NotEmpty().MaximumLength(64);
            RuleFor(x => x.Level).MaximumLength(32);
            RuleFor(x => x.Owner).MaximumLength(200);
            RuleFor(x => x.WorstCaseCost).GreaterThanOrEqualTo(0).When(x => x.WorstCaseCost is not null);
            // A denial carries the end user's pseudonym only (the gateway computed it), never the id the app sent.
            RuleFor(x => x.User).Must(EndUserIds.IsPseudonym).When(x => x.User is not null)
                .WithMessage("'user' must be an end-user pseudonym (eu_ and 32 hex digits), never the id the app sent.");
            RuleFor(x => x).Custom((r, context) =>
            {
                if (AttributionRules.CheckTags("tags", r.Tags, out _) is { } problem)
                    context.AddFailure(problem.Field, problem.Message);
            });
        }
    }

    public RequestDenied ToEvent(string deniedBy, DateTimeOffset now) =>
        new(RequestId, KeyId, App, Model, Reason, Level, Owner, Remaining, WorstCaseCost, deniedBy, DeniedAt ?? now)
        {
            User = User, Tags = (Tags ?? []).Order(StringComparer.Ordinal).ToList(),
        };
}

public sealed record DenialOutcome(string RequestId, bool Duplicate);

public sealed record DenialsResult(IReadOnlyList<DenialOutcome> Results);

/// <summary>
/// POST /api/denials: an adapter's refused requests, one or an array of up to 5,000, written in one transaction as the
/// same <c>request_denied</c> events the gateway writes, so they can be explained. Bad input anywhere rejects the whole
/// batch (400, errors keyed "[index].field"). A request id that already has a history (denied or completed) is a
/// duplicate and writes nothing.
/// </summary>
[Roles(OperatorRoles.Admin, OperatorRoles.Adapter)]
public static class RecordDenialsEndpoint
{
    [WolverinePost("/api/denials")]
    public static async Task<IResult> Post(
        HttpRequest request, IValidator<DenialRecord> validator, IDocumentStore store, ClaimsPrincipal user,
        TimeProvider clock, CancellationToken ct)
    {
        var (records, problem) = await BatchBody.ReadAsync(request, validator, "denial", RecordUsageEndpoint.MaxBatch, ct);
        if (problem is not null)
            return problem;

        var now = clock.GetUtcNow();
        var duplicates = await Denials.RecordBatchAsync(store, records!.Select(r => r.ToEvent(user.Actor(), now)).ToList(), ct);
        return Results.Ok(new DenialsResult(records!.Select((r, i) => new DenialOutcome(r.RequestId, duplicates[i])).ToList()));
    }
}
