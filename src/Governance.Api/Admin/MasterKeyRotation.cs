using Governance.Domain.Alerts;
using Governance.Domain.Catalog;
using Governance.Hosting.Audit;
using Governance.Hosting.Secrets;
using Governance.Projections.Audit;
using JasperFx;
using JasperFx.Events;
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
    public const string Actor = "system:master-key-rotation";

    /// <summary>The whole rotation in one session attributed to <see cref="Actor"/>: all of it is written, or none.</summary>
    /// <exception cref="ConcurrencyException">A provider or webhook changed meanwhile (or
    /// <see cref="EventStreamUnexpectedMaxEventIdException"/>); nothing was written.</exception>
    public static async Task<MasterKeyRotationReport> RunAsync(IDocumentStore store, SecretProtector protector, DateTimeOffset now, CancellationToken ct)
    {
        using var attributed = AuditContext.Begin(new AuditActor(Actor, "rotate-master-key-" + Guid.NewGuid().ToString("N")));
        await using var session = store.LightweightSession();
        var report = await ReencryptAsync(session, protector, Actor, now, ct);
        await session.SaveChangesAsync(ct);
        return report;
    }

    public static async Task<MasterKeyRotationReport> ReencryptAsync(
        IDocumentSession session, SecretProtector protector, string actor, DateTimeOffset now, CancellationToken ct)
    {
        var failures = new List<string>();
        var providers = await ReencryptEachAsync<Provider>(session, protector, failures,
            p => (p.Id, $"provider {p.Id}", p.EncryptedApiKey, SecretBinding.Provider(p.Id, p.BaseUrl)),
            (p, ciphertext) => new ProviderKeyReencrypted(p.Id, ciphertext, actor, now), ct);
        var webhooks = await ReencryptEachAsync<Webhook>(session, protector, failures,
            w => (w.Id, $"webhook {w.Scope}", w.EncryptedSecret, SecretBinding.Webhook(w.Scope, w.Url)),
            (w, ciphertext) => new WebhookSecretReencrypted(w.Scope, ciphertext, actor, now), ct);
        return new MasterKeyRotationReport(providers, webhooks, failures);
    }

    /// <summary>Every document of <typeparamref name="T"/> whose secret is not under the current key: one event each.</summary>
    private static async Task<List<string>> ReencryptEachAsync<T>(
        IDocumentSession session, SecretProtector protector, List<string> failures,
        Func<T, (string Stream, string Name, string Ciphertext, SecretBinding Binding)> secretOf, Func<T, string, object> reencrypted,
        CancellationToken ct) where T : class
    {
        var done = new List<string>();
        foreach (var document in await session.Query<T>().ToListAsync(ct))
        {
            // The state the append will be checked against, not the document read above.
            var stream = await session.Events.FetchForWriting<T>(secretOf(document).Stream, ct);
            if (stream.Aggregate is not { } current)
                continue;
            var (_, name, ciphertext, binding) = secretOf(current);
            if (protector.IsCurrent(ciphertext))
                continue;
            try
            {
                stream.AppendOne(reencrypted(current, protector.Protect(protector.Unprotect(ciphertext, binding), binding)));
                done.Add(name);
            }
            catch (SecretUnavailableException e)
            {
                failures.Add($"{name}: {e.Message}");
            }
        }
        return done;
    }
}
