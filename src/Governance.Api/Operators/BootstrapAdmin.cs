using Governance.Domain.Operators;
using Marten;

namespace Governance.Api.Operators;

/// <summary>
/// Makes sure someone can call the API on a fresh database. GOVERNANCE_ADMIN_TOKEN, when set, is registered
/// (by hash) as an admin token. When it is unset and no operator exists yet, a token is generated, its hash
/// stored, and the token printed once to standard output — never to the log. A revoked bootstrap token stays
/// revoked: its stream exists, so it is not issued again (<see cref="OperatorDecider.Revoke"/> keeps one admin active).
/// </summary>
internal sealed class BootstrapAdmin(IDocumentStore store, IConfiguration configuration, TimeProvider clock, OperatorConsole console) : IHostedService
{
    public const string Actor = "system:bootstrap";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var session = store.LightweightSession();
        var configured = configuration["GOVERNANCE_ADMIN_TOKEN"];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            if (await session.LoadAsync<OperatorToken>(OperatorToken.IdFor(configured), cancellationToken) is null)
                await IssueAsync(session, configured, cancellationToken);
            return;
        }

        if (await session.Query<OperatorToken>().AnyAsync(cancellationToken))
            return;

        var generated = OperatorToken.NewToken();
        await IssueAsync(session, generated, cancellationToken);
        await console.Writer.WriteLineAsync($"""

            ==== Governance bootstrap admin token (shown once, only its hash is stored) ====
            {generated}
            Set GOVERNANCE_ADMIN_TOKEN to choose your own; keep this one somewhere safe.
            ================================================================================

            """);
    }

    private async Task IssueAsync(IDocumentSession session, string token, CancellationToken ct)
    {
        var issued = OperatorDecider.Issue(token, "bootstrap admin", [OperatorRoles.Admin], [], Actor, clock.GetUtcNow());
        session.Events.StartStream<OperatorToken>(issued.TokenId, issued);
        await session.SaveChangesAsync(ct);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Where a generated bootstrap token is shown: standard output, deliberately not the logger.</summary>
public sealed record OperatorConsole(TextWriter Writer);
