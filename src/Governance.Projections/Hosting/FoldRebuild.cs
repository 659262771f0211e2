using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Aggregation;
using Marten.Events.Projections;
using Npgsql;
using Weasel.Core;

namespace Governance.Projections.Hosting;

/// <summary>
/// A multi-stream projection that says which documents an event goes to, so <see cref="FoldRebuild"/> can rebuild it
/// with one pass over the events instead of the daemon's page-by-page replay.
/// </summary>
public interface IFoldedByIdentity
{
    IReadOnlyList<string> IdsFor(object @event);
}

/// <summary>
/// The fast rebuild of one projection whose Evolve is a pure fold (all of ours): read its events in one ordered query,
/// fold them in memory with the projection's own Evolve (the code the live projection runs), and write the documents
/// with COPY. Marten's daemon replays page by page, loading and upserting documents per page, which costs far more per
/// event; the rebuild-equivalence test proves both give the live documents.
/// </summary>
internal sealed class FoldRebuild
{
    private const int WriteBatch = 10_000;
    private readonly IDocumentStore _store;
    private readonly object _projection;
    private readonly Type _document;
    private readonly IReadOnlyDictionary<string, Type> _eventTypes;
    private readonly Func<object?, string, object, object?> _evolve;
    private readonly IFoldedByIdentity? _identities;

    private FoldRebuild(IDocumentStore store, object projection, Type document, IReadOnlyDictionary<string, Type> eventTypes,
        Func<object?, string, object, object?> evolve, IFoldedByIdentity? identities)
    {
        _store = store;
        _projection = projection;
        _document = document;
        _eventTypes = eventTypes;
        _evolve = evolve;
        _identities = identities;
    }

    /// <summary>
    /// The fold for <paramref name="source"/>, or null when it is not a pure fold this class understands (a single-stream
    /// projection keyed by string that lists its events, or a multi-stream one implementing <see cref="IFoldedByIdentity"/>):
    /// such a projection is rebuilt by the daemon instead.
    /// </summary>
    public static FoldRebuild? For(IDocumentStore store, object source)
    {
        var baseType = source.GetType().BaseType;
        if (baseType is not { IsGenericType: true })
            return null;
        var definition = baseType.GetGenericTypeDefinition();
        var identities = source as IFoldedByIdentity;
        if (definition != typeof(SingleStreamProjection<,>) && !(definition == typeof(MultiStreamProjection<,>) && identities is not null))
            return null;
        var arguments = baseType.GetGenericArguments();
        if (arguments[1] != typeof(string))
            return null;
        var included = (source.GetType().GetProperty("IncludedEventTypes")?.GetValue(source) as IEnumerable<Type>)?.ToList() ?? [];
        if (included.Count == 0)
            return null;

        var events = (Marten.Events.EventGraph)((DocumentStore)store).Options.Events;
        var evolve = source.GetType().GetMethod("Evolve", [arguments[0], typeof(string), typeof(IEvent)])!;
        return new FoldRebuild(store, source, arguments[0], included.ToDictionary(t => events.EventMappingFor(t).EventTypeName),
            (state, id, data) => evolve.Invoke(source, [state, id, Wrap(data)]), identities);
    }

    /// <summary>Replaces the projection's documents with the fold of every event up to <paramref name="ceiling"/>.</summary>
    public async Task RunAsync(string schema, long ceiling, CancellationToken ct)
    {
        await _store.Advanced.Clean.DeleteDocumentsByTypeAsync(_document, ct);
        var serializer = _store.Options.Serializer();
        await using var connection = (NpgsqlConnection)_store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        // A single-stream projection reads stream by stream (a document is complete when its stream ends); a multi-stream
        // one reads in the order the events happened and keeps its documents until the end.
        var order = _identities is null ? "stream_id, version" : "seq_id";
        await using var command = new NpgsqlCommand(
            $"select stream_id, type, data from {schema}.mt_events where type = any(@types) and seq_id <= @ceiling and is_archived = false order by {order}",
            connection);
        command.Parameters.AddWithValue("types", _eventTypes.Keys.ToArray());
        command.Parameters.AddWithValue("ceiling", ceiling);
        await using var reader = await command.ExecuteReaderAsync(ct);

        var pending = new List<object>(WriteBatch);
        var documents = new Dictionary<string, object?>();
        string? stream = null;
        object? state = null;
        while (await reader.ReadAsync(ct))
        {
            var streamId = reader.GetString(0);
            var data = serializer.FromJson(_eventTypes[reader.GetString(1)], reader, 2);
            if (_identities is not null)
            {
                foreach (var id in _identities.IdsFor(data))
                    documents[id] = _evolve(documents.GetValueOrDefault(id), id, data);
                continue;
            }
            if (streamId != stream)
            {
                if (state is not null)
                    await AddAsync(pending, state, ct);
                stream = streamId;
                state = null;
            }
            state = _evolve(state, streamId, data);
        }
        if (state is not null)
            pending.Add(state);
        foreach (var document in documents.Values.OfType<object>())
            await AddAsync(pending, document, ct);
        await FlushAsync(pending, ct);
    }

    private async Task AddAsync(List<object> pending, object document, CancellationToken ct)
    {
        pending.Add(document);
        if (pending.Count >= WriteBatch)
            await FlushAsync(pending, ct);
    }

    private async Task FlushAsync(List<object> pending, CancellationToken ct)
    {
        if (pending.Count == 0)
            return;
        await _store.BulkInsertDocumentsAsync(pending, BulkInsertMode.InsertsOnly, WriteBatch, ct);
        pending.Clear();
    }

    private static IEvent Wrap(object data) => new Event<object>(data);
}
