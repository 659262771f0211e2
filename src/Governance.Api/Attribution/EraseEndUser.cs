using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Domain.Attribution;
using Governance.Domain.Operators;
using Governance.Hosting.Secrets;
using Governance.Projections.Usage;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Attribution;

/// <summary>An end user of an app whose readable id is to be erased: the id as the app sent it (in the body, never in a URL).</summary>
public sealed record EraseEndUser(string App, string User)
{
    public sealed class Validator : AbstractValidator<EraseEndUser>
    {
        public Validator()
        {
            RuleFor(x => x.App).NotEmpty().MaximumLength(200);
            RuleFor(x => x).Custom((command, context) =>
            {
                if (AttributionRules.CheckUser("user", command.User ?? "") is { } problem)
                    context.AddFailure(problem.Field, problem.Message);
            });
        }
    }
}

/// <summary>The pseudonym whose mapping was erased, whether there was one, and when.</summary>
public sealed record EndUserErasure(string User, bool MappingExisted, DateTimeOffset ErasedAt);

/// <summary>
/// POST /api/end-users/erase: deletes the mapping from the user's pseudonym to the id the app sent, and records that as
/// <c>end_user_erased</c> (pseudonym, actor, time; never the id). What this does and does not erase: docs/attribution.md.
/// Repeating it is harmless (a second erasure records that there was nothing left to erase).
/// </summary>
[Roles(OperatorRoles.Admin)]
public static class EraseEndUserEndpoint
{
    [WolverinePost("/api/end-users/erase")]
    public static async Task<EndUserErasure> Post(
        EraseEndUser command, IDocumentSession session, EndUserPseudonyms pseudonyms, ClaimsPrincipal user, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var pseudonym = pseudonyms.Of(command.App, command.User);
        var existed = await session.LoadAsync<EndUserMapping>(pseudonym, ct) is not null;
        session.Delete<EndUserMapping>(pseudonym);
        session.Events.Append(EndUserIds.Stream(pseudonym), new EndUserErased(command.App, pseudonym, existed, user.Actor(), now));
        await session.SaveChangesAsync(ct);
        return new EndUserErasure(pseudonym, existed, now);
    }
}
