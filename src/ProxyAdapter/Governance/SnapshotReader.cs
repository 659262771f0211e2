using System.Buffers;
using System.Text.Json;
using Governance.Contracts.Feed;

namespace ProxyAdapter.Governance;

/// <summary>
/// Reads <c>GET /api/feed/snapshot</c> (a <see cref="FeedSnapshot"/>) into <see cref="AdapterState"/> item by item as it
/// arrives: neither the document (about 24 MB for 100,000 keys) nor a list of its keys is ever held whole, each key
/// becomes its compact entry at once. Items are put as of the snapshot's <c>cursor</c>, which the API writes first.
/// </summary>
internal static class SnapshotReader
{
    private enum Section { Start, Root, Items }

    private sealed class Progress
    {
        public JsonReaderState Reader;
        public Section Section;
        public string? Items;
        public long? Cursor;
        public bool Done;
    }

    /// <summary>Puts every item of the snapshot in <paramref name="body"/> into <paramref name="state"/>; returns its cursor.</summary>
    public static async Task<long> ReadAsync(Stream body, AdapterState state, JsonSerializerOptions json, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var progress = new Progress();
        var filled = 0;
        try
        {
            while (true)
            {
                // One item larger than the buffer (a model with a long price history): make room for it.
                PooledBuffer.GrowIfFull(ref buffer, filled);
                var read = await body.ReadAsync(buffer.AsMemory(filled), ct);
                filled += read;
                var consumed = Parse(buffer.AsSpan(0, filled), read == 0, progress, state, json);
                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                filled -= consumed;
                if (progress.Done)
                    return progress.Cursor ?? throw new JsonException("The snapshot has no cursor.");
                if (read == 0)
                    throw new JsonException("The snapshot ended before its last item.");
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Takes as many whole steps as <paramref name="data"/> holds; returns the bytes they consumed.</summary>
    private static int Parse(ReadOnlySpan<byte> data, bool final, Progress progress, AdapterState state, JsonSerializerOptions json)
    {
        var reader = new Utf8JsonReader(data, final, progress.Reader);
        var consumed = 0;
        while (!progress.Done && Step(ref reader, progress, state, json))
        {
            consumed = (int)reader.BytesConsumed;
            progress.Reader = reader.CurrentState;
        }
        return consumed;
    }

    /// <summary>One token, property or item; false (nothing changed) when the data ends inside it.</summary>
    private static bool Step(ref Utf8JsonReader reader, Progress progress, AdapterState state, JsonSerializerOptions json)
    {
        if (!reader.Read())
            return false;
        switch (progress.Section)
        {
            case Section.Start when reader.TokenType == JsonTokenType.StartObject:
                progress.Section = Section.Root;
                return true;
            case Section.Start:
                throw new JsonException("The snapshot is not a JSON object.");
            case Section.Root when reader.TokenType == JsonTokenType.EndObject:
                progress.Done = true;
                return true;
            case Section.Root:
                var name = reader.GetString()!;
                if (!reader.Read())
                    return false;
                if (reader.TokenType == JsonTokenType.StartArray && IsItems(name))
                {
                    if (progress.Cursor is null)
                        throw new JsonException("The snapshot's cursor must come before its items.");
                    (progress.Items, progress.Section) = (name, Section.Items);
                    return true;
                }
                if (name.Equals("cursor", StringComparison.OrdinalIgnoreCase) && reader.TokenType == JsonTokenType.Number)
                {
                    progress.Cursor = reader.GetInt64();
                    return true;
                }
                return reader.TrySkip();
            case Section.Items when reader.TokenType == JsonTokenType.EndArray:
                progress.Section = Section.Root;
                return true;
            default:
                var whole = reader;
                if (!whole.TrySkip())
                    return false;
                Put(progress.Items!, ref reader, progress.Cursor!.Value, state, json);
                return true;
        }
    }

    private static bool IsItems(string name) => name.ToLowerInvariant() is "keys" or "models" or "apps" or "budgets" or "grants" or "providers";

    private static void Put(string items, ref Utf8JsonReader reader, long cursor, AdapterState state, JsonSerializerOptions json)
    {
        switch (items.ToLowerInvariant())
        {
            case "keys": state.Put(Item<FeedKey>(ref reader, json), cursor); break;
            case "models": state.Put(Item<FeedModel>(ref reader, json), cursor); break;
            case "apps": state.Put(Item<FeedApp>(ref reader, json), cursor); break;
            case "budgets": state.Put(Item<FeedBudget>(ref reader, json), cursor); break;
            case "grants": state.Put(Item<FeedGrant>(ref reader, json), cursor); break;
            default: state.Put(Item<FeedProvider>(ref reader, json), cursor); break;
        }
    }

    private static T Item<T>(ref Utf8JsonReader reader, JsonSerializerOptions json) =>
        JsonSerializer.Deserialize<T>(ref reader, json) ?? throw new JsonException($"A null item in the snapshot's {typeof(T).Name} list.");
}
