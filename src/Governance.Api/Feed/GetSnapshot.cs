using System.Data;
using Governance.Api.Infrastructure;
using Governance.Contracts.Feed;
using Governance.Domain.Approvals;
using Governance.Domain.Apps;
using Governance.Domain.Budgets;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Governance.Projections.Feed;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Feed;

[Roles(OperatorRoles.Adapter)]
public static class SnapshotEndpoint
{
    [WolverineGet("/api/feed/snapshot")]
    public static async Task<FeedSnapshot> Get(FeedHub hub, IDocumentStore store, CancellationToken ct)
    {
        // The stable mark before the snapshot's transaction starts: everything at or below it has committed already.
        await hub.ReadyAsync(ct);
        var cursor = hub.Current!.Mark;
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        // One consistent view of every document, however long the reads take.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        await using var session = store.QuerySession(Marten.Services.SessionOptions.ForTransaction(transaction));

        var keys = await session.Query<VirtualKey>().ToListAsync(ct);
        var models = await session.Query<ModelDefinition>().ToListAsync(ct);
        var apps = await session.Query<App>().ToListAsync(ct);
        var budgets = await session.Query<Budget>().ToListAsync(ct);
        var grants = await session.Query<AccessRequest>().Where(r => r.Status == AccessStatus.Granted).ToListAsync(ct);
        var providers = await session.Query<Provider>().ToListAsync(ct);
        return new FeedSnapshot(cursor, keys.Select(FeedKey.From).ToList(), models.Select(FeedModel.From).ToList(), apps.Select(FeedApp.From).ToList(),
            budgets.Select(FeedBudget.From).ToList(), grants.Select(FeedGrant.From).ToList())
        {
            Providers = providers.Select(FeedProvider.From).ToList(),
        };
    }
}
