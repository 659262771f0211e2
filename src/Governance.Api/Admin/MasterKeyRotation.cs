using Governance.Domain.Alerts;
using Governance.Domain.Catalog;
using Governance.Projections;
using Marten;

namespace Governance.Api.Admin;

/// <summary>What a rotation re-encrypted, and what it could not decrypt (by name, with the reason; never a secret).</summary>
public sealed record MasterKeyRotationReport(IReadOnlyList<string> Providers, IReadOnlyList<string> Webhooks, IReadOnlyList<string> Failures);

/// <summary>
/// Re-encrypts every provider API key and webhook secret that is not yet under the current master key: decrypted with
/// whichever key it names (or, for a legacy ciphertext, whichever decrypts it) and encrypted under the current key, bound
/// to its name and URL. One event per secret (<see cref="ProviderKeyReencrypted"/>, <see cref="WebhookSecretReencrypted"/>),
/// appended in the caller's session: each stream is fetched for writing, so a secret changed meanwhile fails the save
/// instead of being overwritten with the older one. A second run finds nothing to do.
/// </summary>
public static class MasterKeyRotation
{
    public static async Task<MasterKeyRotationReport> ReencryptAsync(
        IDocumentSession session, SecretProtector protector, string actor, DateTimeOffset now, CancellationToken ct)
    {
        var failures = new List<string>();
        var providers = new List<string>();
        foreach (var id in await session.Query<Provider>().Select(p => p.Id).ToListAsync(ct))
        {
            var stream = await session.Events.FetchForWriting<Provider>(id, ct);
            if (stream.Aggregate is not { } provider || protector.IsCurrent(provider.EncryptedApiKey))
                continue;
            var binding = SecretBinding.Provider(provider.Id, provider.BaseUrl);
            if (Reencrypt(protector, provider.EncryptedApiKey, binding, $"provider {provider.Id}", failures) is { } ciphertext)
            {
                stream.AppendOne(new ProviderKeyReencrypted(provider.Id, ciphertext, actor, now));
                providers.Add(provider.Id);
            }
        }

        var webhooks = new List<string>();
        foreach (var id in await session.Query<Webhook>().Select(w => w.Id).ToListAsync(ct))
        {
            var stream = await session.Events.FetchForWriting<Webhook>(id, ct);
            if (stream.Aggregate is not { } webhook || protector.IsCurrent(webhook.EncryptedSecret))
                continue;
            var binding = SecretBinding.Webhook(webhook.Scope, webhook.Url);
            if (Reencrypt(protector, webhook.EncryptedSecret, binding, $"webhook {webhook.Scope}", failures) is { } ciphertext)
            {
                stream.AppendOne(new WebhookSecretReencrypted(webhook.Scope, ciphertext, actor, now));
                webhooks.Add(webhook.Scope);
            }
        }
        return new MasterKeyRotationReport(providers, webhooks, failures);
    }

    private static string? Reencrypt(SecretProtector protector, string ciphertext, SecretBinding binding, string what, List<string> failures)
    {
        try
        {
            return protector.Protect(protector.Unprotect(ciphertext, binding), binding);
        }
        catch (SecretUnavailableException e)
        {
            failures.Add($"{what}: {e.Message}");
            return null;
        }
    }
}
