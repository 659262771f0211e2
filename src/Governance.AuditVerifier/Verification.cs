using System.Globalization;

namespace Governance.AuditVerifier;

/// <summary>How the history was found broken.</summary>
public enum BreakKind
{
    /// <summary>A line that is not an export line at all.</summary>
    Malformed,
    /// <summary>An event's fields no longer match its hash, or events a checkpoint covers were rewritten and re-chained.</summary>
    EditedData,
    /// <summary>Events are missing from inside a stream: the next one does not chain to the one before.</summary>
    DeletedEvent,
    /// <summary>Events are out of order (by sequence, or by version within a stream).</summary>
    ReorderedEvents,
    /// <summary>An event that was not there when it was chained or checkpointed.</summary>
    InsertedEvent,
    /// <summary>Events a checkpoint covers are gone from the end of a stream (or whole streams are gone).</summary>
    TruncatedStream,
    /// <summary>A checkpoint's signature does not verify with the key.</summary>
    BadCheckpointSignature,
    /// <summary>Versions skip although the chain links: the history had a hole when the next event was written.</summary>
    VersionGap,
    /// <summary>A checkpoint signed with the old shared HMAC key, and that key was not given: its signature is unchecked.</summary>
    LegacyCheckpoint,
    /// <summary>Keys were given but no checkpoint is in the export: nothing vouches for it.</summary>
    NoCheckpoint,
    /// <summary>An archive segment the history recorded is not in the archive directory.</summary>
    MissingSegment,
}

public sealed record Break(BreakKind Kind, long Line, string Detail)
{
    // Line 0: the event was read from an archive segment, which the detail names.
    public override string ToString() => Line > 0 ? $"BROKEN at line {Line}: {Describe(Kind)} - {Detail}" : $"BROKEN: {Describe(Kind)} - {Detail}";

    public static string Describe(BreakKind kind) => kind switch
    {
        BreakKind.Malformed => "malformed line",
        BreakKind.EditedData => "edited data",
        BreakKind.DeletedEvent => "deleted event",
        BreakKind.ReorderedEvents => "reordered events",
        BreakKind.InsertedEvent => "inserted event",
        BreakKind.TruncatedStream => "truncated stream",
        BreakKind.BadCheckpointSignature => "bad checkpoint signature",
        BreakKind.VersionGap => "version gap",
        BreakKind.LegacyCheckpoint => "unverified legacy checkpoint",
        BreakKind.NoCheckpoint => "no checkpoint",
        BreakKind.MissingSegment => "missing segment",
        _ => kind.ToString(),
    };
}

/// <summary>
/// What the export is (the whole history by default, the history after a sequence, or one stream), the keys to check
/// signatures with, a checkpoint recorded earlier that must be in it, and the newest checkpoint a witness holds.
/// </summary>
public sealed record VerifierOptions(
    CheckpointKeys? Keys = null, long? After = null, bool SingleStream = false, (long Sequence, string Digest)? Expected = null,
    Checkpoint? Witnessed = null);

public sealed record VerificationReport(
    Break? FirstBreak, long Events, long Streams, long FirstSequence, long LastSequence, long Checkpoints, Checkpoint? Latest,
    long Uncovered, bool SignaturesChecked, string? KeyId, long LegacyCheckpoints = 0, string? LegacyKeyId = null, bool Witnessed = false,
    long FromSegments = 0, long Redacted = 0)
{
    public bool Intact => FirstBreak is null;

    public string Describe()
    {
        if (FirstBreak is { } broken)
            return broken.ToString();
        var lines = new List<string>
        {
            $"OK: {N(Events)} events in {N(Streams)} streams" + (Events > 0 ? $" (sequences {N(FirstSequence)}..{N(LastSequence)})" : "") + ", every chain intact.",
        };
        if (FromSegments > 0)
            lines.Add($"{N(FromSegments)} of them were read from archive segments" +
                (Redacted > 0 ? $"; {N(Redacted)} of those belong to segments an operator deleted: their content is gone, their hashes still chain." : "."));
        if (Latest is { } latest)
        {
            lines.Add($"{N(Checkpoints)} checkpoint(s); the latest (line {N(latest.Line)}) covers every event up to sequence {N(latest.Sequence)}, " +
                $"digest {latest.Digest[..16]}.");
            lines.Add(SignaturesChecked
                ? $"Every checkpoint signature verified with key {KeyId}."
                : "Checkpoint signatures were NOT verified: pass --key-file with the audit public key.");
            if (LegacyCheckpoints > 0 && SignaturesChecked)
                lines.Add($"{N(LegacyCheckpoints)} of them are legacy HMAC checkpoints, verified with the shared key {LegacyKeyId}: " +
                    "whoever holds that key could have signed them. The newest checkpoint is ECDSA-signed and chains over them: it vouches for " +
                    "everything before it, as it was when it was signed.");
            if (latest.ChainStart is > 0)
                lines.Add($"Events up to sequence {N(latest.ChainStart.Value)} predate the hash chain: they were chained when it was installed.");
            if (Witnessed)
                lines.Add("The newest witnessed checkpoint is in this export: the history is not shorter than witnessed.");
        }
        else
        {
            lines.Add("No checkpoint in this export: events removed from the end of a stream could not be detected, and signatures were not checked.");
        }
        if (Uncovered > 0)
            lines.Add($"{N(Uncovered)} event(s) after the latest checkpoint are chained but not yet covered by a signed checkpoint.");
        return string.Join(Environment.NewLine, lines);
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
