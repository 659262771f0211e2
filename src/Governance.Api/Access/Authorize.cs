using FluentValidation;
using Governance.Projections;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Access;

public sealed record Authorize(string Key, string Model)
{
    public sealed class Validator : AbstractValidator<Authorize>
    {
        public Validator()
        {
            RuleFor(x => x.Key).NotEmpty();
            RuleFor(x => x.Model).NotEmpty();
        }
    }
}

public sealed record AuthorizeResult(bool Allowed, string? Reason, string? KeyId, string? App);

/// <summary>Allow/deny for any gateway: ours or a third party's. Always 200; the answer is in the body.</summary>
public static class AuthorizeEndpoint
{
    [WolverinePost("/api/authorize")]
    public static async Task<AuthorizeResult> Post(Authorize command, IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        var (decision, _) = await session.DecideAsync(command.Key, command.Model, clock.GetUtcNow(), ct);
        return new AuthorizeResult(decision.Allowed, decision.Reason, decision.KeyId, decision.App);
    }
}
