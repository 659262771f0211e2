using Microsoft.Extensions.Diagnostics.HealthChecks;
using ProxyAdapter.Observability;

namespace ProxyAdapter.Governance;

/// <summary>
/// The adapter is ready when it could admit a request now: its copy of keys, budgets and routing is loaded and known to
/// be current within <c>Proxy:MaxStalenessSeconds</c> — the same check (and the same one catch-up read when the feed
/// has been quiet) the governor makes before deciding, so readiness and fail-closed refusals never disagree.
/// </summary>
public sealed class FeedFreshness(AdapterState state, FeedFollower feed, AdapterOptions options) : IFeedHealth
{
    public async Task<HealthCheckResult> CheckAsync(CancellationToken ct)
    {
        bool fresh;
        try
        {
            fresh = await feed.EnsureFreshAsync(ct);
        }
        catch (OperationCanceledException)
        {
            fresh = false;
        }
        var data = new Dictionary<string, object> { ["feed_position"] = state.Seen, ["max_staleness_seconds"] = options.MaxStaleness.TotalSeconds };
        if (!state.Loaded)
            return HealthCheckResult.Unhealthy("no snapshot loaded from the governance API yet", data: data);
        return fresh
            ? HealthCheckResult.Healthy("the copy of the governance state is current", data)
            : HealthCheckResult.Unhealthy($"nothing heard from the governance API since {state.HeardAt:O}, beyond the staleness bound", data: data);
    }
}
