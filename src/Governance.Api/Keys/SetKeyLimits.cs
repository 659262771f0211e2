using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Wolverine.Http;
using Wolverine.Marten;

namespace Governance.Api.Keys;

/// <summary>The key's rate limits; an omitted or null field is unlimited. Adapters learn the change from the feed.</summary>
public sealed record SetKeyLimits(long? RequestsPerMinute, long? TokensPerMinute, int? MaxParallel)
{
    public KeyRateLimits Limits => new(RequestsPerMinute, TokensPerMinute, MaxParallel);

    public sealed class Validator : AbstractValidator<SetKeyLimits>
    {
        public Validator() => RuleFor(x => x.Limits).ValidLimits();
    }
}

internal static class KeyLimitRules
{
    /// <summary>Reports an out-of-range limit under its own JSON field name (e.g. "requestsPerMinute").</summary>
    public static void ValidLimits<T>(this IRuleBuilder<T, KeyRateLimits> rule) =>
        rule.Custom((limits, context) =>
        {
            if (limits.Problem() is { } problem)
                context.AddFailure(Prefix(context.PropertyPath) + problem.Field, $"'{problem.Field}' {problem.Message}.");
        });

    // "Limits" is the computed property on SetKeyLimits (fields at the top level); "RateLimits" is nested in IssueKey.
    private static string Prefix(string path) => path == "Limits" ? "" : path + ".";
}

[Roles(OperatorRoles.Admin)]
public static class SetKeyLimitsEndpoint
{
    [WolverinePut("/api/keys/{id}/limits")]
    public static (KeyView, Events) Put(SetKeyLimits command, [WriteAggregate] VirtualKey key, ClaimsPrincipal user, TimeProvider clock)
    {
        var events = VirtualKeyDecider.SetRateLimits(key, command.Limits, user.Actor(), clock.GetUtcNow());
        return (KeyView.After(key, events), new Events(events));
    }
}
