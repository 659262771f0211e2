using System.Collections.Immutable;
using System.Diagnostics;
using Governance.Contracts.Feed;
using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Governance.Projections.Feed;

/// <summary>
/// What the hub has published. <see cref="Mark"/> is stable: every event with a sequence at or below it has either
/// committed or never will (its transaction rolled back), so a client that has seen every change up to it may resume
/// from it and lose nothing. <see cref="Changes"/> holds every committed feed change above <see cref="Floor"/> (≤ Mark),
/// in sequence order, including changes above the mark: those are delivered at once, the mark follows when it may.
/// </summary>
public sealed record FeedView(long Mark, long Floor, ImmutableArray<FeedChange> Changes);

/// <summary>
/// One per API node: a single LISTEN connection and a single reader, fanning out to every connected client through
/// <see cref="FeedView"/>. Woken by the NOTIFY the feed trigger sends at commit (low latency), and by a short timer,
/// which moves the stable mark along and recovers from a lost notification or connection.
/// </summary>
/// <remarks>
/// Why a mark at all: sequence numbers are taken before commit, so seq 105 can commit while 103 is still open. A
/// cursor that jumped to 105 would skip 103 when it commits. The mark only passes a sequence once no transaction that
/// could hold a lower, still invisible number is open: read the highest visible sequence V, then list (pg_locks) every
/// transaction holding the lock that taking a number from <c>mt_events_sequence</c> leaves until the transaction ends;
/// once none of them is still open (its virtual transaction id lock is gone), every number ≤ V was taken by a
/// transaction that has ended — it took its number before V's, so before V committed, so it held that lock when the
/// list was read — and V is stable. Marten's event sequence has no per-session cache, so numbers are handed out in one
/// global order. Transactions that never append events (other schemas, readers) never hold the mark back.
/// </remarks>
public sealed class FeedHub(IDocumentStore store, FeedOptions options, ILogger<FeedHub> logger) : BackgroundService
{
    /// <summary>
    /// Transactions that have taken a number from this store's event sequence and not ended: nextval locks the
    /// sequence (RowExclusiveLock) before it hands out a number, and the lock is held until the transaction ends.
    /// </summary>
    private string OpenAppenders => $$"""
        select coalesce(array_agg(virtualtransaction), '{}') from pg_locks
         where locktype = 'relation' and relation = to_regclass('{{_schema}}.mt_events_sequence') and granted and pid <> pg_backend_pid()
        """;

    private const string StillOpen = "select count(*) from pg_locks where locktype = 'virtualxid' and granted and virtualxid = any(@open)";

    private readonly TaskCompletionSource<FeedView> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _schema = store.Options.Events.DatabaseSchemaName;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private FeedView? _view;

    private sealed record Horizon(long Seq, string[] OpenTransactions);

    public FeedView? Current => Volatile.Read(ref _view);

    /// <summary>The current view, once the hub has found its first stable mark.</summary>
    public async Task<FeedView> ReadyAsync(CancellationToken ct)
    {
        await _ready.Task.WaitAsync(ct);
        return Current!;
    }

    /// <summary>The next view after <paramref name="seen"/>, or the same one after <paramref name="timeout"/> or cancellation.</summary>
    public async Task<FeedView> NextAsync(FeedView seen, TimeSpan timeout, CancellationToken ct)
    {
        // Take the signal before comparing: a view published in between completes it.
        var changed = Volatile.Read(ref _changed).Task;
        if (!ReferenceEquals(Current, seen))
            return Current!;
        try
        {
            await changed.WaitAsync(timeout, ct);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
        }
        return Current!;
    }

    /// <summary>Waits until the mark reaches <paramref name="seq"/> (tests, and callers that need a cursor at least that far).</summary>
    public async Task<FeedView> WaitForMarkAsync(long seq, TimeSpan timeout, CancellationToken ct = default)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        var view = await ReadyAsync(limit.Token);
        while (view.Mark < seq)
        {
            limit.Token.ThrowIfCancellationRequested();
            view = await NextAsync(view, timeout, limit.Token);
        }
        return view;
    }

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        NpgsqlConnection? listener = null;
        Horizon? pending = null;
        var more = true;
        var lastHorizon = 0L;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    listener ??= await ListenAsync(stop);
                    if (!more)
                        await listener.WaitAsync(Current is null ? TimeSpan.FromMilliseconds(10) : options.PollInterval, stop);
                    // A notification is answered with the changes alone (that is the latency that matters); the mark
                    // moves at most once per poll interval.
                    long? moved = null;
                    if (Current is null || Stopwatch.GetElapsedTime(lastHorizon) >= options.PollInterval)
                    {
                        (pending, moved) = await HorizonStepAsync(pending, stop);
                        lastHorizon = Stopwatch.GetTimestamp();
                        if (Current is null)
                        {
                            more = false;
                            continue;
                        }
                    }
                    more = await ReadStepAsync(moved, stop);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e)
                {
                    logger.LogWarning(e, "The change feed could not read the event store; retrying in a second.");
                    if (listener is not null)
                        await listener.DisposeAsync();
                    listener = null;
                    more = true;
                    try
                    {
                        await Task.Delay(TimeSpan.FromSeconds(1), stop);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }
        }
        finally
        {
            if (listener is not null)
                await listener.DisposeAsync();
        }
    }

    private async Task<NpgsqlConnection> ListenAsync(CancellationToken ct)
    {
        var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var listen = connection.CreateCommand();
        listen.CommandText = $"LISTEN \"{FeedEvents.Channel(_schema)}\"";
        await listen.ExecuteNonQueryAsync(ct);
        return connection;
    }

    /// <summary>
    /// Checks the pending horizon; returns the new stable mark when it has settled (then starts the next horizon).
    /// The very first settled horizon publishes the first view: the buffer starts there, anything older is read from
    /// the database on demand.
    /// </summary>
    private async Task<(Horizon? Pending, long? Moved)> HorizonStepAsync(Horizon? pending, CancellationToken ct)
    {
        long? moved = null;
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        if (pending is not null && await SettledAsync(connection, pending, ct))
        {
            moved = pending.Seq;
            pending = null;
        }
        pending ??= await HorizonAsync(connection, ct);
        if (Current is null && moved is { } first)
        {
            Publish(new FeedView(first, first, []));
            _ready.TrySetResult(Current!);
            moved = null;
        }
        return (pending, moved);
    }

    /// <summary>
    /// Reads what committed since the last read and publishes it, with the mark moved to <paramref name="settled"/> when
    /// given: read after the horizon settled, so everything at or below it is visible now. True when there is more to
    /// read at once.
    /// </summary>
    private async Task<bool> ReadStepAsync(long? settled, CancellationToken ct)
    {
        var view = Current!;
        var mark = Math.Max(view.Mark, settled ?? view.Mark);
        await using var session = store.QuerySession();
        var top = view.Changes.IsEmpty ? view.Mark : Math.Max(view.Mark, view.Changes[^1].Seq);
        // Late commits can only land between the old mark and the newest change seen; new ones come after it.
        var late = top > view.Mark ? await FeedReader.EventsAsync(session, view.Mark, top, int.MaxValue, ct) : [];
        var fresh = await FeedReader.EventsAsync(session, top, null, options.PageSize, ct);
        var more = fresh.Count == options.PageSize;
        if (more)
            // Not everything up to the mark has been read yet: the published mark must not pass what the buffer holds.
            mark = Math.Max(view.Mark, Math.Min(mark, fresh[^1].Sequence));
        var known = late.Count == 0 ? [] : view.Changes.Select(c => c.Seq).ToHashSet();
        var added = late.Where(e => !known.Contains(e.Sequence)).Concat(fresh).ToList();
        if (added.Count == 0 && mark == view.Mark)
            return more;

        var changes = view.Changes;
        if (added.Count > 0)
            changes = changes.AddRange(await FeedReader.ChangesAsync(session, added, ct)).Sort((a, b) => a.Seq.CompareTo(b.Seq));
        // Bound memory: drop the oldest changes at or below the mark; a client behind the floor catches up from the database.
        var floor = view.Floor;
        var drop = Math.Min(changes.Length - options.BufferSize, changes.Count(c => c.Seq <= mark));
        if (drop > 0)
        {
            floor = changes[drop - 1].Seq;
            changes = changes.RemoveRange(0, drop);
        }
        Publish(new FeedView(mark, floor, changes));
        return more;
    }

    /// <summary>
    /// First the highest visible sequence, then, at a later instant, every open transaction that has taken a number:
    /// whoever holds a lower number that is not visible yet took it before that sequence committed, so it is among them.
    /// </summary>
    private async Task<Horizon> HorizonAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var highest = connection.CreateCommand();
        highest.CommandText = $"select coalesce(max(seq_id), 0) from {_schema}.mt_events";
        var seq = Convert.ToInt64(await highest.ExecuteScalarAsync(ct));
        await using var open = connection.CreateCommand();
        open.CommandText = OpenAppenders;
        return new Horizon(seq, (string[])(await open.ExecuteScalarAsync(ct))!);
    }

    private static async Task<bool> SettledAsync(NpgsqlConnection connection, Horizon horizon, CancellationToken ct)
    {
        if (horizon.OpenTransactions.Length == 0)
            return true;
        await using var command = connection.CreateCommand();
        command.CommandText = StillOpen;
        command.Parameters.AddWithValue("open", horizon.OpenTransactions);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct)) == 0;
    }

    private void Publish(FeedView view)
    {
        Volatile.Write(ref _view, view);
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }
}
