using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Domain.Catalog;
using Governance.Domain.Operators;
using Governance.Domain.Secrets;
using Governance.Hosting.Secrets;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Catalog;

/// <summary>The new credential: an <see cref="ApiKey"/>, or for a <c>bedrock</c> provider its new <see cref="Aws"/> keys.</summary>
public sealed record RotateProviderKey(string? ApiKey = null, AwsKeysInput? Aws = null)
{
    public sealed class Validator : AbstractValidator<RotateProviderKey>
    {
        public Validator()
        {
            RuleFor(x => x.ApiKey).MaximumLength(ProviderFields.MaxKeyLength);
            RuleFor(x => x.ApiKey).Must((command, key) => key is not null || command.Aws is not null)
                .WithMessage("'apiKey' (or, for a bedrock provider, 'aws') is required.");
        }
    }
}

/// <summary>
/// PUT /api/providers/{name}/key: the provider's new API key, after the old one leaked (<c>governance-scan</c> names the
/// provider) or was replaced at the provider. Encrypted and fingerprinted like at registration; the proxies forward with
/// it once the change feed delivers it. The same key again changes nothing.
/// </summary>
[Roles(OperatorRoles.Admin)]
public static class RotateProviderKeyEndpoint
{
    [WolverinePut("/api/providers/{name}/key")]
    public static async Task<IResult> Put(
        string name, RotateProviderKey command, IDocumentSession session, SecretProtector protector, ClaimsPrincipal user, TimeProvider clock,
        CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<Provider>(name, ct);
        if (stream.Aggregate is not { } provider)
            return Problems.NotFound($"Provider '{name}'");
        // The kind decides which credential it takes; the wrong one is named, like at registration.
        var problems = ProviderFields.Problems(provider.Kind, null, command.ApiKey, null, provider.Settings.Region, command.Aws)
            .GroupBy(p => p.Field).ToDictionary(g => g.Key, g => g.Select(p => p.Message).ToArray());
        if (problems.Count > 0)
            return Problems.Validation(problems);
        var secret = ProviderFields.Secret(provider.Kind, command.ApiKey, command.Aws);
        var (fingerprint, idFingerprint) = ProviderSecret.Fingerprints(provider.Kind, secret);
        // The same key again changes nothing (for Bedrock, the same pair without a session token: a token is not fingerprinted).
        if (provider.KeyFingerprint == fingerprint && provider.KeyIdFingerprint == idFingerprint && command.Aws?.SessionToken is null)
            return Results.Ok(ProviderView.From(provider));
        var rotated = new ProviderKeyRotated(name, protector.Protect(secret, SecretBinding.Provider(name, provider.BaseUrl)), fingerprint,
            user.Actor(), clock.GetUtcNow()) { KeyIdFingerprint = idFingerprint };
        stream.AppendOne(rotated);
        return Results.Ok(ProviderView.From(Provider.Evolve(provider, rotated)!));
    }
}
