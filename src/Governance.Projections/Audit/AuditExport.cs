using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Npgsql;

namespace Governance.Projections.Audit;

/// <summary>Which events an export holds: the history after a sequence (optionally at most a number of them), or one stream.</summary>
public sealed record AuditExportQuery(long After, long? Limit, string? Stream)
{
    public static AuditExportQuery Events(long after, long? limit) => new(after, limit, null);

    public static AuditExportQuery OfStream(string stream) => new(0, null, stream);
}

/// <summary>
/// Writes events as NDJSON, one line per event, as PostgreSQL returns them: rows go out as they are read, in buffers of
/// about 32 KB, so an export of any size needs the same little memory. Each line carries exactly the fields the chain
/// hashes (data verbatim, as its <c>jsonb</c> text) plus the hashes themselves; see docs/audit.md.
/// </summary>
public static class AuditExport
{
    private const int FlushAt = 32 * 1024;
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    /// <summary>Whether the stream has any event (an export of an unknown stream is a 404, not an empty file).</summary>
    public static async Task<bool> StreamExistsAsync(NpgsqlConnection connection, string schema, string stream, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"select exists (select 1 from {schema}.mt_events where stream_id = @stream)", connection);
        command.Parameters.AddWithValue("stream", stream);
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Writes the export to <paramref name="output"/>; returns the number of lines.</summary>
    public static async Task<long> WriteAsync(NpgsqlConnection connection, string schema, AuditExportQuery query, Stream output, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(Sql(schema, query), connection) { CommandTimeout = 0 };
        if (query.Stream is { } stream)
            command.Parameters.AddWithValue("stream", stream);
        else
            command.Parameters.AddWithValue("after", query.After);
        if (query.Limit is { } limit)
            command.Parameters.AddWithValue("limit", limit);

        var buffer = new ArrayBufferWriter<byte>(FlushAt * 2);
        await using var json = new Utf8JsonWriter(buffer, Options);
        long lines = 0;
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            json.WriteStartObject();
            json.WriteNumber("sequence", reader.GetInt64(0));
            json.WriteString("stream", reader.GetString(1));
            json.WriteNumber("version", reader.GetInt64(2));
            json.WriteString("type", reader.GetString(3));
            json.WriteString("timestamp", reader.GetString(4));
            WriteNullable(json, "actor", reader, 5);
            WriteNullable(json, "correlationId", reader, 6);
            WriteNullable(json, "causationId", reader, 7);
            json.WritePropertyName("data");
            json.WriteRawValue(reader.GetString(8), skipInputValidation: true);
            WriteNullable(json, "prevHash", reader, 9);
            WriteNullable(json, "hash", reader, 10);
            json.WriteEndObject();
            json.Flush();
            json.Reset();
            buffer.Write("\n"u8);
            lines++;
            if (buffer.WrittenCount >= FlushAt)
            {
                await output.WriteAsync(buffer.WrittenMemory, ct);
                await output.FlushAsync(ct);
                buffer.ResetWrittenCount();
            }
        }
        if (buffer.WrittenCount > 0)
            await output.WriteAsync(buffer.WrittenMemory, ct);
        await output.FlushAsync(ct);
        return lines;
    }

    private static string Sql(string schema, AuditExportQuery query) => $"""
        select seq_id, stream_id, version, type, {schema}.gov_audit_timestamp("timestamp"), user_name, correlation_id, causation_id,
               data::text, headers ->> 'audit_prev', headers ->> 'audit_hash'
          from {schema}.mt_events
         where {(query.Stream is null ? "seq_id > @after" : "stream_id = @stream")}
         order by {(query.Stream is null ? "seq_id" : "version")}
         {(query.Limit is null ? "" : "limit @limit")}
        """;

    private static void WriteNullable(Utf8JsonWriter json, string name, NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
            json.WriteNull(name);
        else
            json.WriteString(name, reader.GetString(ordinal));
    }
}
