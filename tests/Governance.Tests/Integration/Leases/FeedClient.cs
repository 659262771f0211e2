using System.Net.ServerSentEvents;
using System.Text.Json;
using System.Threading.Channels;

namespace Governance.Tests.Integration.Leases;

/// <summary>One SSE item as a client receives it, with the moment it arrived.</summary>
public sealed record FeedEvent(string Type, string? Id, JsonElement Data, long ReceivedAt);

/// <summary>
/// An adapter's connection to <c>GET /api/feed</c> as Server-Sent Events, over the test server's in-memory transport,
/// parsed with the BCL's SSE parser. Items are queued as they arrive.
/// </summary>
public sealed class FeedClient : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<FeedEvent> _events = Channel.CreateUnbounded<FeedEvent>();
    private readonly HttpClient _client;
    private Task _reading = Task.CompletedTask;

    private FeedClient(HttpClient client) => _client = client;

    /// <summary>Connects to the fixture's API node and waits for the first heartbeat, so the subscription is live when this returns.</summary>
    public static Task<FeedClient> ConnectAsync(GovernanceFixture fx, string token, long after) => ConnectAsync(fx.Api, token, after);

    public static async Task<FeedClient> ConnectAsync(IAlbaHost node, string token, long after)
    {
        var client = node.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        client.Timeout = Timeout.InfiniteTimeSpan;
        var feed = new FeedClient(client);
        var response = await client.GetAsync($"/api/feed?after={after}", HttpCompletionOption.ResponseHeadersRead, feed._stop.Token);
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        feed._reading = feed.ReadAsync(await response.Content.ReadAsStreamAsync(feed._stop.Token));
        Assert.Equal("heartbeat", (await feed.NextAsync(_ => true)).Type);
        return feed;
    }

    private async Task ReadAsync(Stream stream)
    {
        try
        {
            await foreach (var item in SseParser.Create(stream).EnumerateAsync(_stop.Token))
                await _events.Writer.WriteAsync(
                    new FeedEvent(item.EventType, item.EventId, JsonDocument.Parse(item.Data).RootElement.Clone(), System.Diagnostics.Stopwatch.GetTimestamp()));
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
        }
        finally
        {
            _events.Writer.TryComplete();
        }
    }

    /// <summary>The next item matching <paramref name="match"/>, skipping others; fails after <paramref name="timeoutSeconds"/>.</summary>
    public async Task<FeedEvent> NextAsync(Func<FeedEvent, bool> match, int timeoutSeconds = 10)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            while (true)
            {
                var next = await _events.Reader.ReadAsync(timeout.Token);
                if (match(next))
                    return next;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No matching feed event within {timeoutSeconds} s.");
        }
    }

    /// <summary>The next change of this type for this stream.</summary>
    public Task<FeedEvent> ChangeAsync(string type, string stream, int timeoutSeconds = 10) =>
        NextAsync(e => e.Type == "change" && e.Data.GetProperty("type").GetString() == type && e.Data.GetProperty("stream").GetString() == stream, timeoutSeconds);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reading;
        _client.Dispose();
        _stop.Dispose();
    }
}
