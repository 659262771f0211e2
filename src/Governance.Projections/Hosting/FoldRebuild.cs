using System.Threading.Channels;
using JasperFx.Events;
using Marten;
using Marten.Events.Aggregation;
using Marten.Events.Projections;
using Npgsql;
using Weasel.Core;

namespace Governance.Projections.Hosting;

/// <summary>
/// A multi-stream projection that says which documents an event goes to, so <see cref="FoldRebuild"/> can rebuild it
/// in its single pass over the events instead of the daemon's page-by-page replay.
/// </summary>
public interface IFoldedByIdentity
{
    IReadOnlyList<string> IdsFor(object @event);
}

/// <summary>
/// One projection whose Evolve is a pure fold of its events (all of ours): a single-stream projection keyed by string
/// that lists its events, or a multi-stream one implementing <see cref="IFoldedByIdentity"/>.
/// </summary>
internal sealed class Fold
{
    private readonly object _projection;
    private readonly System.Reflection.MethodInfo _evolve;

    private Fold(object projection, Type document, IReadOnlyList<Type> events, IFoldedByIdentity? identities, System.Reflection.MethodInfo evolve)
    {
        _projection = projection;
        _evolve = evolve;
        Document = document;
        Events = events;
        Identities = identities;
    }

    public Type Document { get; }
    public IReadOnlyList<Type> Events { get; }
    public IFoldedByIdentity? Identities { get; }

    /// <summary>Documents still being folded: streams not yet at their last event, or every document of a multi-stream fold.</summary>
    public Dictionary<string, object?> Open { get; } = [];

    /// <summary>Null when <paramref name="projection"/> is not a pure fold this class understands: the daemon rebuilds it.</summary>
    public static Fold? For(object projection)
    {
        var baseType = projection.GetType().BaseType;
        if (baseType is not { IsGenericType: true } || baseType.GetGenericArguments() is not [var document, var id] || id != typeof(string))
            return null;
        var definition = baseType.GetGenericTypeDefinition();
        var identities = projection as IFoldedByIdentity;
        if (definition != typeof(SingleStreamProjection<,>) && !(definition == typeof(MultiStreamProjection<,>) && identities is not null))
            return null;
        var events = (projection.GetType().GetProperty("IncludedEventTypes")?.GetValue(projection) as IEnumerable<Type>)?.ToList() ?? [];
        var evolve = projection.GetType().GetMethod("Evolve", [document, typeof(string), typeof(IEvent)]);
        return events.Count == 0 || evolve is null ? null : new Fold(projection, document, events, identities, evolve);
    }

    /// <summary>The projection's own Evolve: the code the live projection runs.</summary>
    public object? Evolve(object? state, string id, object data) => _evolve.Invoke(_projection, [state, id, new Event<object>(data)]);
}

/// <summary>
/// The fast rebuild of every pure-fold projection at once: one pass over the events in the order they were appended
/// (one query, no sort), each event folded into every projection that lists it with the projection's own Evolve, and
/// the documents written with COPY by two writers while the pass goes on. A single-stream document is written as soon
/// as its stream's last event is folded, so memory holds only streams in progress (and a multi-stream projection's
/// documents). Marten's daemon instead replays each projection separately, page by page, loading and upserting
/// documents per page: several times the work per event. The rebuild-equivalence test proves both give the live documents.
/// </summary>
internal static class FoldRebuild
{
    private const int WriteBatch = 5_000;

    public static async Task RunAsync(IDocumentStore store, IReadOnlyList<Fold> folds, string schema, long ceiling, CancellationToken ct)
    {
        var tables = new List<string>();
        foreach (var document in folds.Select(f => f.Document).Distinct())
        {
            await store.Advanced.Clean.DeleteDocumentsByTypeAsync(document, ct);
            tables.Add(store.Options.FindOrResolveDocumentType(document).TableName.Name);
        }
        // Bulk-load practice: the secondary indexes are dropped while the tables fill, and built once at the end (a sorted
        // build costs a fraction of maintaining them row by row). They come back even when the rebuild fails; if the
        // process dies in between, the next start of the API (which applies the schema) recreates them.
        await using var indexes = await SecondaryIndexes.DropAsync(store, schema, tables, ct);

        var mapping = (Marten.Events.EventGraph)((DocumentStore)store).Options.Events;
        var byAlias = folds.SelectMany(f => f.Events.Select(type => (type, fold: f)))
            .GroupBy(x => mapping.EventMappingFor(x.type).EventTypeName)
            .ToDictionary(g => g.Key, g => (Type: g.First().type, Folds: g.Select(x => x.fold).ToArray()));

        // A failing writer stops the pass, rather than leaving it blocked on a full channel.
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var batches = Channel.CreateBounded<List<object>>(new BoundedChannelOptions(4) { SingleReader = false, SingleWriter = true });
        var writers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            try
            {
                await foreach (var batch in batches.Reader.ReadAllAsync(failed.Token))
                    await store.BulkInsertDocumentsAsync(batch, BulkInsertMode.InsertsOnly, WriteBatch, failed.Token);
            }
            catch
            {
                await failed.CancelAsync();
                throw;
            }
        }, CancellationToken.None)).ToList();

        var pending = new Dictionary<Type, List<object>>();
        async Task EmitAsync(Fold fold, object? document)
        {
            if (document is null)
                return;
            if (!pending.TryGetValue(fold.Document, out var buffer))
                pending[fold.Document] = buffer = new List<object>(WriteBatch);
            buffer.Add(document);
            if (buffer.Count < WriteBatch)
                return;
            await batches.Writer.WriteAsync(buffer, failed.Token);
            pending[fold.Document] = new List<object>(WriteBatch);
        }

        try
        {
            var serializer = store.Options.Serializer();
            await using var connection = (NpgsqlConnection)store.Storage.Database.CreateConnection();
            await connection.OpenAsync(ct);
            // The stream's current version tells when its last event has been folded.
            await using var command = new NpgsqlCommand(
                $"""
                select e.stream_id, e.version, s.version, e.type, e.data
                from {schema}.mt_events e join {schema}.mt_streams s on s.id = e.stream_id
                where e.type = any(@types) and e.seq_id <= @ceiling and e.is_archived = false
                order by e.seq_id
                """, connection);
            command.Parameters.AddWithValue("types", byAlias.Keys.ToArray());
            command.Parameters.AddWithValue("ceiling", ceiling);
            await using (var reader = await command.ExecuteReaderAsync(failed.Token))
            {
                while (await reader.ReadAsync(failed.Token))
                {
                    var stream = reader.GetString(0);
                    var last = reader.GetInt64(1) == reader.GetInt64(2);
                    var (type, targets) = byAlias[reader.GetString(3)];
                    var data = serializer.FromJson(type, reader, 4);
                    foreach (var fold in targets)
                    {
                        if (fold.Identities is { } identities)
                        {
                            foreach (var id in identities.IdsFor(data))
                                fold.Open[id] = fold.Evolve(fold.Open.GetValueOrDefault(id), id, data);
                            continue;
                        }
                        var state = fold.Evolve(fold.Open.GetValueOrDefault(stream), stream, data);
                        if (last)
                        {
                            fold.Open.Remove(stream);
                            await EmitAsync(fold, state);
                        }
                        else
                        {
                            fold.Open[stream] = state;
                        }
                    }
                }
            }

            // Streams whose last event lies beyond the ceiling, and the multi-stream documents.
            foreach (var fold in folds)
            {
                foreach (var document in fold.Open.Values)
                    await EmitAsync(fold, document);
                fold.Open.Clear();
            }
            foreach (var buffer in pending.Values.Where(b => b.Count > 0))
                await batches.Writer.WriteAsync(buffer, failed.Token);
        }
        catch (OperationCanceledException) when (failed.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            // A writer failed: its exception, awaited below, is the one to report.
        }
        finally
        {
            batches.Writer.TryComplete();
        }
        await Task.WhenAll(writers);
        await indexes.RestoreAsync(ct);
    }
}
