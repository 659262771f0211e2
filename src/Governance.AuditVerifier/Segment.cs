using System.Security.Cryptography;
using System.Text;
using Parquet;
using Parquet.Schema;

namespace Governance.AuditVerifier;

/// <summary>
/// One archived event: the fields its hash covers, exactly as the export carries them (timestamp and data as text), and
/// what PostgreSQL needs to put the row back (event id, .NET type, tenant, the stream's aggregate type). In a deleted
/// segment's redacted copy only the sequence, stream, version and hashes remain (<see cref="IsRedacted"/>).
/// </summary>
public sealed record SegmentRow(
    long Sequence, string? EventId, string Stream, string? StreamType, long Version, string? Type, string? Timestamp, string? DotnetType,
    string? Tenant, string? Actor, string? CorrelationId, string? CausationId, string? Data, string PreviousHash, string Hash)
{
    public bool IsRedacted => Data is null;

    /// <summary>The row as an export line, for the verifier's chain checks.</summary>
    public ExportLine ToExportLine() => new(
        Sequence, Stream, Version, Type ?? "", Timestamp ?? "", Actor, CorrelationId, CausationId, Encoding.UTF8.GetBytes(Data ?? "null"),
        Hash32(PreviousHash), Hash32(Hash));

    public SegmentRow Redacted() => new(Sequence, null, Stream, null, Version, null, null, null, null, null, null, null, null, PreviousHash, Hash);

    private static byte[] Hash32(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        return bytes.Length == Canonical.HashLength ? bytes : throw new FormatException("a hash in the segment is not a SHA-256 hash");
    }
}

/// <summary>
/// An archive segment: a Parquet file (Zstd-compressed, row groups of <see cref="RowGroupSize"/> rows) of archived events in
/// sequence order. Anyone can read it with any Parquet reader (DuckDB, pandas); the verifier reads it a row group at a time.
/// </summary>
public static class ArchiveSegment
{
    public const int RowGroupSize = 50_000;

    private static readonly DataField<long> SequenceField = new("sequence", false);
    private static readonly DataField<string> EventIdField = new("event_id", true);
    private static readonly DataField<string> StreamField = new("stream", false);
    private static readonly DataField<string> StreamTypeField = new("stream_type", true);
    private static readonly DataField<long> VersionField = new("version", false);
    private static readonly DataField<string> TypeField = new("type", true);
    private static readonly DataField<string> TimestampField = new("timestamp", true);
    private static readonly DataField<string> DotnetTypeField = new("dotnet_type", true);
    private static readonly DataField<string> TenantField = new("tenant", true);
    private static readonly DataField<string> ActorField = new("actor", true);
    private static readonly DataField<string> CorrelationField = new("correlation_id", true);
    private static readonly DataField<string> CausationField = new("causation_id", true);
    private static readonly DataField<string> DataField = new("data", true);
    private static readonly DataField<string> PreviousHashField = new("prev_hash", false);
    private static readonly DataField<string> HashField = new("hash", false);

    private static readonly ParquetSchema Schema = new(
        SequenceField, EventIdField, StreamField, StreamTypeField, VersionField, TypeField, TimestampField, DotnetTypeField, TenantField,
        ActorField, CorrelationField, CausationField, DataField, PreviousHashField, HashField);

    /// <summary>Writes <paramref name="rows"/> (in sequence order) to <paramref name="output"/>.</summary>
    public static async Task WriteAsync(Stream output, IEnumerable<SegmentRow> rows, CancellationToken ct = default)
    {
        await using var writer = await ParquetWriter.CreateAsync(Schema, output,
            new ParquetOptions { CompressionMethod = CompressionMethod.Zstd }, cancellationToken: ct);
        foreach (var chunk in rows.Chunk(RowGroupSize))
        {
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<long>(SequenceField, chunk.Select(r => r.Sequence).ToArray(), cancellationToken: ct);
            await group.WriteAsync(EventIdField, chunk.Select(r => r.EventId).ToArray()!);
            await group.WriteAsync(StreamField, chunk.Select(r => r.Stream).ToArray());
            await group.WriteAsync(StreamTypeField, chunk.Select(r => r.StreamType).ToArray()!);
            await group.WriteAsync<long>(VersionField, chunk.Select(r => r.Version).ToArray(), cancellationToken: ct);
            await group.WriteAsync(TypeField, chunk.Select(r => r.Type).ToArray()!);
            await group.WriteAsync(TimestampField, chunk.Select(r => r.Timestamp).ToArray()!);
            await group.WriteAsync(DotnetTypeField, chunk.Select(r => r.DotnetType).ToArray()!);
            await group.WriteAsync(TenantField, chunk.Select(r => r.Tenant).ToArray()!);
            await group.WriteAsync(ActorField, chunk.Select(r => r.Actor).ToArray()!);
            await group.WriteAsync(CorrelationField, chunk.Select(r => r.CorrelationId).ToArray()!);
            await group.WriteAsync(CausationField, chunk.Select(r => r.CausationId).ToArray()!);
            await group.WriteAsync(DataField, chunk.Select(r => r.Data).ToArray()!);
            await group.WriteAsync(PreviousHashField, chunk.Select(r => r.PreviousHash).ToArray());
            await group.WriteAsync(HashField, chunk.Select(r => r.Hash).ToArray());
        }
    }

    /// <summary>The rows of a segment, one row group in memory at a time.</summary>
    public static async IAsyncEnumerable<SegmentRow> ReadAsync(Stream input, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var reader = await ParquetReader.CreateAsync(input, cancellationToken: ct);
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var count = checked((int)group.RowCount);
            async Task<long[]> Longs(DataField<long> field)
            {
                var values = new long[count];
                await group.ReadAsync<long>(field, values, cancellationToken: ct);
                return values;
            }
            async Task<string?[]> Strings(DataField<string> field)
            {
                var values = new string[count];
                await group.ReadAsync(field, values, cancellationToken: ct);
                return values;
            }
            var sequence = await Longs(SequenceField);
            var eventId = await Strings(EventIdField);
            var stream = await Strings(StreamField);
            var streamType = await Strings(StreamTypeField);
            var version = await Longs(VersionField);
            var type = await Strings(TypeField);
            var timestamp = await Strings(TimestampField);
            var dotnetType = await Strings(DotnetTypeField);
            var tenant = await Strings(TenantField);
            var actor = await Strings(ActorField);
            var correlation = await Strings(CorrelationField);
            var causation = await Strings(CausationField);
            var data = await Strings(DataField);
            var previous = await Strings(PreviousHashField);
            var hash = await Strings(HashField);
            for (var i = 0; i < count; i++)
            {
                yield return new SegmentRow(sequence[i], eventId[i], stream[i] ?? "", streamType[i], version[i], type[i], timestamp[i], dotnetType[i],
                    tenant[i], actor[i], correlation[i], causation[i], data[i], previous[i] ?? "", hash[i] ?? "");
            }
        }
    }

    /// <summary>The file's SHA-256, lower-case hex: what the archive event records.</summary>
    public static async Task<string> Sha256Async(string path, CancellationToken ct = default)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, ct));
    }
}
