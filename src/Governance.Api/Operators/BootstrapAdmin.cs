using Governance.Domain.Operators;
using Marten;

namespace Governance.Api.Operators;

/// <summary>
/// Makes sure someone can call the API on a fresh database. GOVERNANCE_ADMIN_TOKEN, when set, is registered
/// (by hash) as an admin token, once it passes <see cref="Weakness"/>: a weak one stops the start-up. When it is unset
/// and no operator exists yet, a token is generated, its hash stored, and the token printed once to standard output —
/// never to the log. A revoked bootstrap token stays revoked: its stream exists, so it is not issued again
/// (<see cref="OperatorDecider.Revoke"/> keeps one admin active). It is the one token that never expires
/// (<see cref="OperatorDecider.IssueBootstrapAdmin"/>).
/// </summary>
internal sealed class BootstrapAdmin(IDocumentStore store, IConfiguration configuration, TimeProvider clock, OperatorConsole console) : IHostedService
{
    public const string Actor = "system:bootstrap";
    public const string Setting = "GOVERNANCE_ADMIN_TOKEN";
    public const int MinLength = 32;
    public const int MaxLength = 512;

    /// <summary>What a guessable token lacks; 80 bits is far below a random 32-character token and far above a word or a pattern.</summary>
    public const double MinEntropyBits = 80;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var configured = configuration[Setting];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            if (Weakness(configured) is { } weakness)
                throw new InvalidOperationException(
                    $"{Setting} is too weak to guard the API: {weakness}. Use at least {MinLength} random characters, " +
                    "e.g. the output of 'head -c 32 /dev/urandom | base64', or leave it unset and run.sh generates one into .data/admin.token.");
            await using var existing = store.LightweightSession();
            if (await existing.LoadAsync<OperatorToken>(OperatorToken.IdFor(configured), cancellationToken) is null)
                await IssueAsync(existing, configured, cancellationToken);
            return;
        }

        await using var session = store.LightweightSession();
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

    /// <summary>
    /// Why <paramref name="token"/> is too weak to be the admin token, or null. Length alone does not do: 40 times the
    /// same letter is long. The estimate is the token's length times the entropy of its own character frequencies, which
    /// is low for repetition and few distinct characters (a dictionary word still passes: no check can know every word).
    /// </summary>
    public static string? Weakness(string token)
    {
        if (token.Length < MinLength)
            return $"it has {token.Length} characters, fewer than {MinLength}";
        if (token.Length > MaxLength)
            return $"it has more than {MaxLength} characters";
        if (token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            return "it contains whitespace or control characters";
        var bits = token.GroupBy(c => c).Sum(g => -g.Count() * Math.Log2((double)g.Count() / token.Length));
        return bits < MinEntropyBits
            ? $"its characters repeat too much (about {bits:0} bits of entropy, fewer than {MinEntropyBits:0})"
            : null;
    }

    private async Task IssueAsync(IDocumentSession session, string token, CancellationToken ct)
    {
        var issued = OperatorDecider.IssueBootstrapAdmin(token, Actor, clock.GetUtcNow());
        session.Events.StartStream<OperatorToken>(issued.TokenId, issued);
        await session.SaveChangesAsync(ct);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Where a generated bootstrap token is shown: standard output, deliberately not the logger.</summary>
public sealed record OperatorConsole(TextWriter Writer);
