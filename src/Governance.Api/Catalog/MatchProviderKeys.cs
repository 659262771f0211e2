using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Domain.Catalog;
using Governance.Domain.Operators;
using Governance.Domain.Secrets;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Catalog;

/// <summary>Fingerprints (SHA-256 of a found key, lower-case hex, as <c>governance-scan</c> reports them) to match.</summary>
public sealed record MatchProviderKeys(IReadOnlyList<string> Fingerprints)
{
    public const int MaxFingerprints = 1000;

    public sealed class Validator : AbstractValidator<MatchProviderKeys>
    {
        public Validator()
        {
            RuleFor(x => x.Fingerprints).NotEmpty().Must(f => f is null || f.Count <= MaxFingerprints)
                .WithMessage($"'fingerprints' lists 1 to {MaxFingerprints} fingerprints.");
            RuleForEach(x => x.Fingerprints).Must(SecretFingerprint.IsWellFormed)
                .WithMessage("Each fingerprint is 64 lower-case hex digits (SHA-256 of the key).");
        }
    }
}

/// <summary>A fingerprint and the providers whose current API key has it (usually one).</summary>
public sealed record ProviderKeyMatch(string Fingerprint, IReadOnlyList<string> Providers);

public sealed record ProviderKeyMatches(IReadOnlyList<ProviderKeyMatch> Matches);

/// <summary>
/// POST /api/providers/match: which registered providers' current API keys have these fingerprints; fingerprints that
/// match none are left out. Admin-only: whoever may ask learns which provider a key they hold belongs to.
/// </summary>
[Roles(OperatorRoles.Admin)]
public static class MatchProviderKeysEndpoint
{
    [WolverinePost("/api/providers/match")]
    public static async Task<ProviderKeyMatches> Post(MatchProviderKeys command, IQuerySession session, CancellationToken ct)
    {
        var wanted = command.Fingerprints.Distinct(StringComparer.Ordinal).ToArray();
        var providers = await session.Query<Provider>().Where(p => wanted.Contains(p.KeyFingerprint) || wanted.Contains(p.KeyIdFingerprint)).ToListAsync(ct);
        // A Bedrock provider matches by its secret access key or by its access key id.
        var matches = providers.SelectMany(p => new[] { (Fingerprint: p.KeyFingerprint, p.Id), (Fingerprint: p.KeyIdFingerprint, p.Id) })
            .Where(m => m.Fingerprint is not null && wanted.Contains(m.Fingerprint))
            .GroupBy(p => p.Fingerprint!, StringComparer.Ordinal)
            .Select(g => new ProviderKeyMatch(g.Key, g.Select(p => p.Id).Order(StringComparer.Ordinal).ToList()))
            .OrderBy(m => m.Fingerprint, StringComparer.Ordinal)
            .ToList();
        return new ProviderKeyMatches(matches);
    }
}
