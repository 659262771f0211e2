using System.Runtime.InteropServices;
using System.Text.Json;

namespace Governance.AuditVerifier;

/// <summary>One line of an export: an event with its chain hashes. <see cref="Data"/> is the raw JSON exactly as exported.</summary>
public sealed record ExportLine(
    long Sequence, string Stream, long Version, string Type, string Timestamp, string? Actor, string? CorrelationId,
    string? CausationId, ReadOnlyMemory<byte> Data, byte[] PreviousHash, byte[] Hash)
{
    public const string CheckpointStream = "audit:checkpoints";
    public const string CheckpointType = "audit_checkpoint";

    /// <summary>Marten's own stream for sequence numbers lost to failed transactions; its versions are those sequences.</summary>
    public const string TombstoneStream = "mt_tombstone";

    public bool IsCheckpoint => Stream == CheckpointStream && Type == CheckpointType;

    /// <summary>The line, or null with the reason it is not a well-formed export line.</summary>
    public static (ExportLine? Line, string? Problem) Parse(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return (null, "not a JSON object");
            if (!root.TryGetProperty("data", out var data))
                return (null, "no 'data'");
            var line = new ExportLine(
                Number(root, "sequence"), Text(root, "stream")!, Number(root, "version"), Text(root, "type")!, Text(root, "timestamp")!,
                Text(root, "actor", nullable: true), Text(root, "correlationId", nullable: true), Text(root, "causationId", nullable: true),
                // The data's bytes exactly as they appear in the line: what was hashed.
                JsonMarshal.GetRawUtf8Value(data).ToArray(), HashOf(root, "prevHash"), HashOf(root, "hash"));
            return (line, null);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            return (null, e.Message);
        }
    }

    private static long Number(JsonElement root, string name) => root.GetProperty(name).GetInt64();

    private static string? Text(JsonElement root, string name, bool nullable = false)
    {
        var value = root.GetProperty(name);
        if (nullable && value.ValueKind == JsonValueKind.Null)
            return null;
        return value.GetString() ?? throw new FormatException($"'{name}' is null");
    }

    private static byte[] HashOf(JsonElement root, string name)
    {
        var hex = Text(root, name, nullable: true)
            ?? throw new FormatException($"'{name}' is null: the event was never chained (the trigger was missing or disabled when it was written)");
        var bytes = Convert.FromHexString(hex);
        return bytes.Length == Canonical.HashLength ? bytes : throw new FormatException($"'{name}' is not a SHA-256 hash");
    }
}
