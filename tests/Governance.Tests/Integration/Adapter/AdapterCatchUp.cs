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
public sealed class AdapterCatchUp(GovernanceFixture fx) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var state = app.ApplicationServices.GetRequiredService<AdapterState>();
        app.Use(async (context, proceed) =>
        {
            await WaitAsync(fx, state);
            await proceed(context);
        });
        next(app);
    };

    /// <summary>Completes when <paramref name="state"/> has seen the newest committed feed event (or after 10 s, to let the test fail on its own terms).</summary>
    public static async Task WaitAsync(GovernanceFixture fx, AdapterState state)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await state.WaitForAsync(await NewestFeedEventAsync(fx), timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public static async Task<long> NewestFeedEventAsync(GovernanceFixture fx)
    {
        await using var connection = new NpgsqlConnection(fx.ConnectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand($"select coalesce(max(seq_id), 0) from {fx.Schema}.mt_events where type = any(@types)", connection);
        query.Parameters.AddWithValue("types", FeedEvents.NamesIn(fx.Store.Options).ToArray());
        return (long)(await query.ExecuteScalarAsync())!;
    }
}
