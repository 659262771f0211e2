using Governance.Projections;
using Governance.Domain.Catalog;
using Governance.Domain.Pricing;
using Marten;

namespace Governance.Api.Prices;

/// <summary>
/// On first start, prices the widely used models (src/Governance.Domain/Pricing/default-prices.json, each with its
/// source and date), effective from that date. A model that already has a stream is never touched again, so
/// operators' own prices win. Off with Governance__SeedCatalog=false.
/// </summary>
internal sealed class SeedCatalog(IDocumentStore store, IConfiguration configuration, TimeProvider clock, ILogger<SeedCatalog> log) : IHostedService
{
    public const string Actor = "system:catalog-seed";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!configuration.GetValue("Governance:SeedCatalog", true))
            return;
        var catalog = DefaultCatalog.Load();
        await using var session = store.LightweightSession();
        var present = (await session.LoadManyAsync<ModelDefinition>(cancellationToken, catalog.Select(c => c.Model))).Select(m => m.Id).ToHashSet();
        var now = clock.GetUtcNow();
        var missing = catalog.Where(c => !present.Contains(c.Model)).ToList();
        foreach (var entry in missing)
        {
            var effective = new DateTimeOffset(entry.AsOf.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            session.Events.StartStream<ModelDefinition>(entry.Model,
                new PriceSet(entry.Model, entry.InputPer1M, entry.OutputPer1M, entry.CachedInputPer1M, effective, entry.Source, Actor, now)
                {
                    Limits = entry.Limits.IsEmpty ? null : entry.Limits,
                });
        }
        try
        {
            await session.SaveChangesAsync(cancellationToken);
            if (missing.Count > 0)
                log.LogInformation("Seeded prices for {Count} catalog models", missing.Count);
        }
        catch (Exception e) when (e.IsStreamCollision())
        {
            // Another node seeded at the same moment; its prices are the same.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
