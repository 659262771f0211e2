using System.Diagnostics;
using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Governance.Api.Infrastructure;
using Governance.Contracts.Feed;
using Governance.Domain.Operators;
using Governance.Projections.Feed;
using Marten;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Wolverine.Http;

namespace Governance.Api.Feed;


/// <summary>
/// The change feed (docs/leases-and-feed.md). Server-Sent Events by default: every change as an event <c>change</c>
/// whose <c>id</c> is the cursor to resume from (sent back as <c>Last-Event-ID</c>, or as <c>?after=</c>), and a
/// <c>heartbeat</c> with the cursor when nothing happened for <c>Feed__HeartbeatSeconds</c>. <c>?wait=false</c>: one
/// JSON page at once instead. Secret hashes go to adapters only.
/// </summary>
[Roles(OperatorRoles.Admin, OperatorRoles.Adapter)]
public static class FeedEndpoint
{
    public const int MaxLimit = 1_000;

    [WolverineGet("/api/feed")]
    public static async Task<IResult> Get(
        HttpContext context, FeedHub hub, IDocumentStore store, FeedOptions options, IOptions<JsonOptions> json, IHostApplicationLifetime lifetime,
        CancellationToken ct)
    {
        var query = context.Request.Query;
        var afterText = query.TryGetValue("after", out var a) ? a.ToString() : context.Request.Headers["Last-Event-ID"].ToString();
        long after = 0;
        if (afterText.Length > 0 && (!long.TryParse(afterText, NumberStyles.None, CultureInfo.InvariantCulture, out after)))
            return Problems.Field("after", "'after' must be a sequence number (a non-negative integer): a cursor this feed or the snapshot returned.");
        var wait = true;
        if (query.TryGetValue("wait", out var w) && !bool.TryParse(w, out wait))
            return Problems.Field("wait", "'wait' must be true or false.");
        var limit = options.PageSize;
        if (query.TryGetValue("limit", out var l) && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
            return Problems.Field("limit", $"'limit' must be between 1 and {MaxLimit}.");

        var secrets = context.User.IsInRole(OperatorRoles.Adapter);
        var cursor = new FeedCursor(store, after);
        if (!wait)
        {
            var batch = await cursor.NextAsync(await hub.ReadyAsync(ct), limit, ct);
            return Results.Ok(new FeedPage(batch.Deliveries.Select(d => Visible(d.Change, secrets)).ToList(), batch.Cursor, batch.More));
        }
        return TypedResults.ServerSentEvents(StreamAsync(hub, cursor, options, limit, secrets, json.Value.SerializerOptions, ct, lifetime.ApplicationStopping));
    }

    private static FeedChange Visible(FeedChange change, bool secrets) => secrets ? change : change.WithoutSecrets();

    private static async IAsyncEnumerable<SseItem<string>> StreamAsync(
        FeedHub hub, FeedCursor cursor, FeedOptions options, int limit, bool secrets, JsonSerializerOptions json,
        CancellationToken requestAborted, [EnumeratorCancellation] CancellationToken stopping)
    {
        // Ends when the client goes away or the node shuts down, whichever comes first.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, stopping);
        var ct = linked.Token;
        var view = await Quietly(() => hub.ReadyAsync(ct));
        if (view is null)
            yield break;
        // At once: the client knows it is connected, and from where.
        yield return Heartbeat(cursor.Position);
        var quietSince = Stopwatch.GetTimestamp();
        while (!ct.IsCancellationRequested)
        {
            var batch = await Quietly(() => cursor.NextAsync(view, limit, ct));
            if (batch is null)
                yield break;
            foreach (var delivery in batch.Deliveries)
                yield return new SseItem<string>(JsonSerializer.Serialize(Visible(delivery.Change, secrets), json), "change")
                {
                    EventId = delivery.Cursor.ToString(CultureInfo.InvariantCulture),
                };
            if (batch.Deliveries.Count > 0)
                quietSince = Stopwatch.GetTimestamp();
            if (batch.More)
                continue;
            var quiet = Stopwatch.GetElapsedTime(quietSince);
            if (quiet >= options.HeartbeatInterval)
            {
                yield return Heartbeat(cursor.Position);
                quietSince = Stopwatch.GetTimestamp();
                continue;
            }
            view = await hub.NextAsync(view, options.HeartbeatInterval - quiet, ct);
        }
    }

    private static SseItem<string> Heartbeat(long cursor) =>
        new($$"""{"cursor":{{cursor.ToString(CultureInfo.InvariantCulture)}}}""", "heartbeat") { EventId = cursor.ToString(CultureInfo.InvariantCulture) };

    /// <summary>Null instead of an exception when the stream is being closed: that is how it ends, not an error.</summary>
    private static async Task<T?> Quietly<T>(Func<Task<T>> read) where T : class
    {
        try
        {
            return await read();
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}
