using Governance.Projections.Feed;
using Marten;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using ProxyAdapter.Governance;

namespace Governance.Tests.Integration.Adapter;

/// <summary>
/// Tests change state through the API and call the proxy at once, as a person would not: before each proxied request,
/// this waits (on the adapter's own state, no sleeping) until the adapter has applied every feed event committed so far.
/// </summary>
public sealed class AdapterCatchUp(string connectionString, string schema, Func<IDocumentStore> store) : IStartupFilter
{
    public AdapterCatchUp(GovernanceFixture fx) : this(fx.ConnectionString, fx.Schema, () => fx.Store)
    {
    }

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var state = app.ApplicationServices.GetRequiredService<AdapterState>();
        app.Use(async (context, proceed) =>
        {
            await WaitAsync(connectionString, schema, store(), state);
            await proceed(context);
        });
        next(app);
    };

    /// <summary>Completes when <paramref name="state"/> has seen the newest committed feed event (or after 10 s, to let the test fail on its own terms).</summary>
    public static Task WaitAsync(GovernanceFixture fx, AdapterState state) => WaitAsync(fx.ConnectionString, fx.Schema, fx.Store, state);

    public static async Task WaitAsync(string connectionString, string schema, IDocumentStore store, AdapterState state)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await state.WaitForAsync(await NewestFeedEventAsync(connectionString, schema, store), timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public static Task<long> NewestFeedEventAsync(GovernanceFixture fx) => NewestFeedEventAsync(fx.ConnectionString, fx.Schema, fx.Store);

    public static async Task<long> NewestFeedEventAsync(string connectionString, string schema, IDocumentStore store)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand($"select coalesce(max(seq_id), 0) from {schema}.mt_events where type = any(@types)", connection);
        query.Parameters.AddWithValue("types", FeedEvents.NamesIn(store.Options).ToArray());
        return (long)(await query.ExecuteScalarAsync())!;
    }
}
