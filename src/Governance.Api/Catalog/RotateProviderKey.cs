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

public sealed record RotateProviderKey(string ApiKey)
{
    public sealed class Validator : AbstractValidator<RotateProviderKey>
    {
        public Validator() => RuleFor(x => x.ApiKey).NotEmpty().MaximumLength(4096);
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
        var fingerprint = SecretFingerprint.Of(command.ApiKey);
        if (provider.KeyFingerprint == fingerprint)
            return Results.Ok(ProviderView.From(provider));
        var rotated = new ProviderKeyRotated(name, protector.Protect(command.ApiKey, SecretBinding.Provider(name, provider.BaseUrl)), fingerprint,
            user.Actor(), clock.GetUtcNow());
        stream.AppendOne(rotated);
        return Results.Ok(ProviderView.From(Provider.Evolve(provider, rotated)!));
    }
}
