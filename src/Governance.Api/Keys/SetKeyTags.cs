using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Domain.Attribution;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Wolverine.Http;
using Wolverine.Marten;

namespace Governance.Api.Keys;

/// <summary>
/// The key's own tags (<c>key:value</c>, added to each of its requests; a request cannot name another value for them) and the
/// tag keys each request must carry (docs/attribution.md). Omitted lists are empty. Adapters learn the change from the feed.
/// </summary>
public sealed record SetKeyTags(IReadOnlyList<string>? Tags, IReadOnlyList<string>? RequiredTags)
{
    public sealed class Validator : AbstractValidator<SetKeyTags>
    {
        public Validator() => RuleFor(x => x).Custom((command, context) =>
        {
            if ((AttributionRules.CheckTags("tags", command.Tags, out _, AttributionRules.MaxKeyTags)
                ?? AttributionRules.CheckTagKeys("requiredTags", command.RequiredTags)) is { } problem)
                context.AddFailure(problem.Field, problem.Message);
        });
    }
}

[Roles(OperatorRoles.Admin)]
public static class SetKeyTagsEndpoint
{
    [WolverinePut("/api/keys/{id}/tags")]
    public static (KeyView, Events) Put(SetKeyTags command, [WriteAggregate] VirtualKey key, ClaimsPrincipal user, TimeProvider clock)
    {
        AttributionRules.CheckTags("tags", command.Tags, out var tags, AttributionRules.MaxKeyTags);
        var events = VirtualKeyDecider.SetTags(key, tags, command.RequiredTags ?? [], user.Actor(), clock.GetUtcNow());
        return (KeyView.After(key, events), new Events(events));
    }
}
