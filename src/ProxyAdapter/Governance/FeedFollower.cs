using System.Globalization;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Governance.Contracts.Feed;

namespace ProxyAdapter.Governance;

/// <summary>
/// Keeps <see cref="AdapterState"/> current: the snapshot once, then <c>GET /api/feed</c> as Server-Sent Events,
/// reconnecting from the last event id it received (<c>Last-Event-ID</c>) whenever the stream ends or fails. Also the
/// freshness check the governor asks before admitting: when nothing has been heard for the staleness bound, one
/// catch-up read (<c>?wait=false</c>, shared by concurrent callers) either proves the copy current or the request is refused.
/// </summary>
public sealed class FeedFollower(
    AdapterState state, GovernanceClient api, AdapterOptions options, TimeProvider clock, ILogger<FeedFollower> log) : BackgroundService
{
    private const int LargeSnapshotKeys = 10_000;
    private readonly object _probeGate = new();
    private Task<bool>? _probe;
    private long _resumeFrom;

    /// <summary>True when the copy is known to be current within the staleness bound (after a catch-up read if needed).</summary>
    public async ValueTask<bool> EnsureFreshAsync(CancellationToken ct)
    {
        if (IsFresh())
            return true;
        Task<bool> probe;
        lock (_probeGate)
            probe = _probe ??= ProbeAsync();
        try
        {
            return await probe.WaitAsync(ct) && IsFresh();
        }
        finally
        {
            lock (_probeGate)
                if (_probe == probe && probe.IsCompleted)
                    _probe = null;
        }
    }

    private bool IsFresh() => state.HeardAt is { } heard && clock.GetUtcNow() - heard <= options.MaxStaleness;

    private async Task<bool> ProbeAsync()
    {
        await Task.Yield();
        try
        {
            if (!state.Loaded)
                await LoadSnapshotAsync(CancellationToken.None);
            while (true)
            {
                var page = await api.PageAsync(Interlocked.Read(ref _resumeFrom), CancellationToken.None);
                foreach (var change in page.Changes)
                    state.Apply(change);
                InterlockedMax(ref _resumeFrom, page.Cursor);
                if (!page.More)
                {
                    state.CaughtUp(page.Cursor);
                    return true;
                }
            }
        }
        catch (Exception e)
        {
            // Whatever went wrong, the copy is not proven current: the caller fails closed.
            log.LogWarning("The governance API did not answer a catch-up read: {Error}", e.Message);
            return false;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!state.Loaded)
                    await LoadSnapshotAsync(stoppingToken);
                await FollowAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Never let the follower die: without it the copy goes stale and the adapter fails closed for good.
                log.LogWarning("The change feed was lost, reconnecting: {Error}", e.Message);
            }
            try
            {
                await Task.Delay(options.ReconnectDelay, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task LoadSnapshotAsync(CancellationToken ct)
    {
        var cursor = await api.ReadSnapshotAsync(state, ct);
        state.SnapshotApplied(cursor);
        InterlockedMax(ref _resumeFrom, cursor);
        // A large snapshot went through short-lived objects (some 60 MB of them for 100,000 keys) that the GC would
        // keep committed for a while: compact and give that memory back now, once, before the first request.
        if (state.KeyCount >= LargeSnapshotKeys)
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    private async Task FollowAsync(CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/feed");
        request.Headers.TryAddWithoutValidation("Last-Event-ID", Interlocked.Read(ref _resumeFrom).ToString(CultureInfo.InvariantCulture));
        using var response = await api.Http().SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        await GovernanceClient.EnsureSpokenAsync(response, ct);
        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(ct))
        {
            if (item.EventType == "change")
                state.Apply(JsonSerializer.Deserialize<FeedChange>(item.Data, GovernanceClient.Json)!);
            else if (item.EventType == "heartbeat")
                state.CaughtUp(JsonDocument.Parse(item.Data).RootElement.GetProperty("cursor").GetInt64());
            if (long.TryParse(item.EventId, NumberStyles.None, CultureInfo.InvariantCulture, out var cursor))
                InterlockedMax(ref _resumeFrom, cursor);
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var seen = Interlocked.Read(ref target);
        while (value > seen)
        {
            var was = Interlocked.CompareExchange(ref target, value, seen);
            if (was == seen)
                return;
            seen = was;
        }
    }
}
