using Governance.Domain.Catalog;
using Governance.Domain.Secrets;
using Governance.Hosting.Audit;
using Governance.Hosting.Secrets;
using Governance.Projections.Audit;
using JasperFx;
using JasperFx.Events;
using Marten;

namespace Governance.Api.Catalog;

/// <summary>
/// At start-up, records the fingerprint of every provider key registered before fingerprints existed: decrypted with this
/// node's master key, hashed, appended once as <see cref="ProviderKeyFingerprinted"/> (the key is never written). A key
/// this node cannot decrypt is logged by provider name and left for a later start. Nodes starting together append it
/// once: each provider's stream is fetched for writing, and the node that loses the race finds it done.
/// </summary>
internal sealed class ProviderFingerprints(IDocumentStore store, SecretProtector protector, TimeProvider clock, ILogger<ProviderFingerprints> log)
    : IHostedService
{
    public const string Actor = "system:provider-fingerprints";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var (recorded, failures) = await RunAsync(store, protector, clock.GetUtcNow(), cancellationToken);
        if (recorded.Count > 0)
            log.LogInformation("Recorded the key fingerprints of {Count} providers", recorded.Count);
        foreach (var failure in failures)
            log.LogWarning("No key fingerprint for {Failure}", failure);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// The providers fingerprinted now, and those whose key could not be decrypted (name and reason); the events are
    /// attributed to <see cref="Actor"/>.
    /// </summary>
    public static async Task<(IReadOnlyList<string> Recorded, IReadOnlyList<string> Failures)> RunAsync(
        IDocumentStore store, SecretProtector protector, DateTimeOffset now, CancellationToken ct)
    {
        using var attributed = AuditContext.Begin(new AuditActor(Actor, "provider-fingerprints-" + Guid.NewGuid().ToString("N")));
        List<string> recorded = [], failures = [];
        await using var query = store.QuerySession();
        var missing = await query.Query<Provider>().Where(p => p.KeyFingerprint == null).Select(p => p.Id).ToListAsync(ct);
        foreach (var name in missing)
        {
            await using var session = store.LightweightSession();
            var stream = await session.Events.FetchForWriting<Provider>(name, ct);
            if (stream.Aggregate is not { KeyFingerprint: null } provider)
                continue;
            try
            {
                var key = protector.Unprotect(provider.EncryptedApiKey, SecretBinding.Provider(provider.Id, provider.BaseUrl));
                stream.AppendOne(new ProviderKeyFingerprinted(provider.Id, ProviderSecret.Fingerprints(provider.Kind, key).Key, Actor, now));
                await session.SaveChangesAsync(ct);
                recorded.Add(provider.Id);
            }
            catch (SecretUnavailableException e)
            {
                failures.Add($"provider {provider.Id}: {e.Message}");
            }
            catch (Exception e) when (e is ConcurrencyException or EventStreamUnexpectedMaxEventIdException)
            {
                // Another node recorded it (or the key changed) meanwhile.
            }
        }
        return (recorded, failures);
    }
}
