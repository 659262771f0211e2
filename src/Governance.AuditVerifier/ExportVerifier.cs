using System.Security.Cryptography;

namespace Governance.AuditVerifier;

/// <summary>
/// Reads an export line by line and stops at the first broken link. Per line: the sequence must increase; the line's
/// fields must hash to its hash; within its stream the version must follow the previous one and its previous hash
/// must be that event's hash. Per checkpoint: the signature must verify with the keys, it must follow the previous
/// checkpoint, and the events of the export in its range must digest to its digest (so events removed from the end of
/// a stream, or re-chained after an edit, are caught). At the end: a checkpoint recorded earlier or witnessed must be
/// in the export, and with keys given at least one checkpoint must be. Memory: one entry per stream, plus the events
/// since the latest checkpoint.
/// </summary>
public static class ExportVerifier
{
    private static readonly byte[] Zero = new byte[Canonical.HashLength];

    /// <param name="archived">
    /// The rows of archive segments (<see cref="Archive.Rows"/>), in sequence order: merged with the export by sequence, so the
    /// segments and the live export are verified as one history.
    /// </param>
    public static VerificationReport Verify(TextReader export, VerifierOptions options, IEnumerable<(SegmentRow Row, string Where)>? archived = null)
    {
        var state = new State(options);
        using var rows = archived?.GetEnumerator();
        var more = rows?.MoveNext() ?? false;
        Break? Archived(long? before)
        {
            while (more && (before is null || rows!.Current.Row.Sequence < before))
            {
                var (row, where) = rows!.Current;
                if (state.Accept(0, where, row.ToExportLine(), row.IsRedacted) is { } broken)
                    return broken;
                more = rows.MoveNext();
            }
            return null;
        }

        long lineNumber = 0;
        while (export.ReadLine() is { } text)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(text))
                continue;
            var (line, problem) = ExportLine.Parse(text);
            if (line is null)
                return state.Report(new Break(BreakKind.Malformed, lineNumber, problem!));
            if (Archived(line.Sequence) is { } inSegment)
                return state.Report(inSegment);
            if (state.Accept(lineNumber, null, line, redacted: false) is { } broken)
                return state.Report(Refine(broken, state.Missing, export, lineNumber));
        }
        if (Archived(null) is { } atEnd)
            return state.Report(atEnd);
        return state.Report(state.Finish(lineNumber + 1));
    }

    /// <summary>
    /// Events that look missing at the first broken link may only have been moved further down: if one of them
    /// turns up later in the export, the history was reordered, not cut.
    /// </summary>
    private static Break Refine(Break broken, Func<ExportLine, bool>? missing, TextReader rest, long lineNumber)
    {
        if (missing is null)
            return broken;
        while (rest.ReadLine() is { } text)
        {
            lineNumber++;
            if (ExportLine.Parse(text).Line is { } line && missing(line))
                return broken with { Kind = BreakKind.ReorderedEvents, Detail = broken.Detail + $" It appears later, at line {lineNumber}: the events were reordered." };
        }
        return broken;
    }

    private sealed class State(VerifierOptions options)
    {
        private readonly Dictionary<string, (long Version, byte[] Hash)> _heads = new(StringComparer.Ordinal);
        private readonly Queue<(long Sequence, byte[] Hash)> _uncovered = new();
        private long? _lastSequence;
        private long _firstSequence, _events, _checkpoints;
        private Checkpoint? _latest;
        private string? _singleStream;
        private bool _expectedSeen, _witnessSeen, _ecdsa;
        private long _legacy;
        private long _latestLine;

        public long Redacted { get; private set; }
        public long FromSegments { get; private set; }

        /// <summary>At a break that says events are missing, what those events would look like.</summary>
        public Func<ExportLine, bool>? Missing { get; private set; }

        /// <summary>
        /// One event, from the export (<paramref name="where"/> null) or a segment. A redacted row (a deleted segment's) has
        /// no content left to hash: it still links its stream and counts in checkpoint digests.
        /// </summary>
        public Break? Accept(long number, string? where, ExportLine line, bool redacted)
        {
            var at = $"{(where is null ? "" : where + ": ")}sequence {line.Sequence}, stream '{line.Stream}', version {line.Version}";

            if (Order(number, line, at) is { } outOfOrder)
                return outOfOrder;
            if (!redacted && !CryptographicOperations.FixedTimeEquals(Canonical.EventHash(line.PreviousHash, line), line.Hash))
                return new Break(BreakKind.EditedData, number, $"{at}: the event's fields do not match its hash.");
            if (redacted)
                Redacted++;
            if (where is not null)
                FromSegments++;
            if (Link(number, line, at) is { } unlinked)
                return unlinked;
            if (line.IsCheckpoint && CheckCheckpoint(number, line) is { } badCheckpoint)
                return badCheckpoint;

            if (line.IsCheckpoint)
                _latestLine = line.Sequence;
            _heads[line.Stream] = (line.Version, line.Hash);
            _uncovered.Enqueue((line.Sequence, line.Hash));
            if (_events++ == 0)
                _firstSequence = line.Sequence;
            _lastSequence = line.Sequence;
            return null;
        }

        private Break? Order(long number, ExportLine line, string at)
        {
            if (options.SingleStream)
            {
                _singleStream ??= line.Stream;
                if (line.Stream != _singleStream)
                    return new Break(BreakKind.InsertedEvent, number, $"{at}: an event of another stream in the export of '{_singleStream}'.");
            }
            if (options.After is { } after && line.Sequence <= after)
                return new Break(BreakKind.InsertedEvent, number, $"{at}: the export starts after sequence {after}.");
            if (_lastSequence is { } last && line.Sequence <= last)
            {
                return line.Sequence == last
                    ? new Break(BreakKind.InsertedEvent, number, $"{at}: a second event with sequence {last}.")
                    : new Break(BreakKind.ReorderedEvents, number, $"{at}: comes after sequence {last}.");
            }
            return null;
        }

        private Break? Link(long number, ExportLine line, string at)
        {
            if (!_heads.TryGetValue(line.Stream, out var head))
            {
                if (line.Version == 1)
                {
                    return line.PreviousHash.AsSpan().SequenceEqual(Zero)
                        ? null
                        : new Break(BreakKind.EditedData, number, $"{at}: a stream's first event must chain to the zero hash.");
                }
                // An export that starts mid-history (--after) anchors each stream at its first event there.
                if (options.After is not null || line.Stream == ExportLine.TombstoneStream)
                    return null;
                Missing = e => e.Stream == line.Stream && e.Version < line.Version;
                return new Break(BreakKind.DeletedEvent, number, $"{at}: the stream starts at version {line.Version}; versions 1 to {line.Version - 1} are missing.");
            }

            var chained = line.PreviousHash.AsSpan().SequenceEqual(head.Hash);
            if (line.Version == head.Version)
                return new Break(BreakKind.InsertedEvent, number, $"{at}: a second event with version {line.Version} in this stream.");
            if (line.Version < head.Version)
                return new Break(BreakKind.ReorderedEvents, number, $"{at}: comes after version {head.Version} of this stream.");
            if (line.Version == head.Version + 1 || line.Stream == ExportLine.TombstoneStream)
            {
                return chained
                    ? null
                    : new Break(BreakKind.EditedData, number, $"{at}: does not chain to version {head.Version}; an earlier event of this stream was altered or replaced.");
            }
            if (!chained)
                Missing = e => e.Stream == line.Stream && e.Version > head.Version && e.Version < line.Version;
            return chained
                ? new Break(BreakKind.VersionGap, number, $"{at}: follows version {head.Version}; the history had a hole when this event was written.")
                : new Break(BreakKind.DeletedEvent, number, $"{at}: follows version {head.Version}; versions {head.Version + 1} to {line.Version - 1} are missing.");
        }

        private Break? CheckCheckpoint(long number, ExportLine line)
        {
            var (checkpoint, problem) = Checkpoint.Parse(number, line.Data);
            if (checkpoint is null)
                return new Break(BreakKind.Malformed, number, $"checkpoint at sequence {line.Sequence}: {problem}");
            var at = $"checkpoint at sequence {line.Sequence} (covering up to {checkpoint.Sequence})";

            // Old histories begin with HMAC checkpoints; once ECDSA signs, an HMAC one is a downgrade anyone with the old shared key could forge.
            if (checkpoint.IsLegacy && _ecdsa)
                return new Break(BreakKind.BadCheckpointSignature, number, $"{at}: a legacy HMAC checkpoint after an ECDSA-signed one; whoever holds the old shared key could have forged it.");
            if (options.Keys?.Check(checkpoint) is { } bad)
                return new Break(bad.Kind, number, $"{at}: {bad.Detail}");
            if (checkpoint.IsLegacy)
                _legacy++;
            else
                _ecdsa = true;
            if (options.Witnessed is { } witnessed && witnessed.Sequence == checkpoint.Sequence)
            {
                if (!string.Equals(witnessed.Digest, checkpoint.Digest, StringComparison.OrdinalIgnoreCase))
                    return new Break(BreakKind.EditedData, number, $"{at}: its digest {checkpoint.Digest[..16]} is not the witnessed {witnessed.Digest[..16]}; the checkpoint was rewritten.");
                _witnessSeen = true;
            }

            if (_latest is { } previous)
            {
                if (checkpoint.PreviousSequence != previous.Sequence || !string.Equals(checkpoint.PreviousDigest, previous.Digest, StringComparison.OrdinalIgnoreCase))
                    return new Break(BreakKind.EditedData, number, $"{at}: does not follow the checkpoint at line {previous.Line}.");
            }
            else if (options.After is null && (checkpoint.PreviousSequence != 0 || Convert.FromHexString(checkpoint.PreviousDigest).AsSpan().SequenceEqual(Zero) is false))
            {
                return new Break(BreakKind.DeletedEvent, number, $"{at}: the first checkpoint of a whole history must start from sequence 0.");
            }

            _checkpoints++;
            _latest = checkpoint;
            if (options.Expected is { } expected && expected.Sequence == checkpoint.Sequence
                && checkpoint.Digest.StartsWith(expected.Digest, StringComparison.OrdinalIgnoreCase))
                _expectedSeen = true;
            // A single stream, or a range that began before an export that starts mid-history, cannot be digested here.
            if (options.SingleStream || (options.After is { } after && checkpoint.PreviousSequence < after))
            {
                while (_uncovered.TryPeek(out var e) && e.Sequence <= checkpoint.Sequence)
                    _uncovered.Dequeue();
                return null;
            }
            return CheckRange(number, checkpoint, at);
        }

        private Break? CheckRange(long number, Checkpoint checkpoint, string at)
        {
            using var digest = Canonical.StartDigest(Convert.FromHexString(checkpoint.PreviousDigest));
            long count = 0;
            while (_uncovered.TryPeek(out var e) && e.Sequence <= checkpoint.Sequence)
            {
                _uncovered.Dequeue();
                if (e.Sequence <= checkpoint.PreviousSequence)
                    continue;
                Canonical.AppendToDigest(digest, e.Sequence, e.Hash);
                count++;
            }
            var matches = Convert.ToHexStringLower(digest.GetHashAndReset()) == checkpoint.Digest.ToLowerInvariant();
            var range = $"sequences {checkpoint.PreviousSequence + 1} to {checkpoint.Sequence}";
            if (count < checkpoint.Events)
            {
                Missing = e => e.Sequence > checkpoint.PreviousSequence && e.Sequence <= checkpoint.Sequence;
                return new Break(BreakKind.TruncatedStream, number, $"{at}: it covers {checkpoint.Events} events in {range}, the export has {count}; events were removed from the end of a stream (or whole streams).");
            }
            if (count > checkpoint.Events)
                return new Break(BreakKind.InsertedEvent, number, $"{at}: it covers {checkpoint.Events} events in {range}, the export has {count}.");
            if (!matches)
                return new Break(BreakKind.EditedData, number, $"{at}: the events in {range} do not digest to the signed digest; they were rewritten and re-chained.");
            return null;
        }

        public Break? Finish(long endLine)
        {
            // Only a checkpoint kept outside the database shows that the newest checkpoints themselves were not removed.
            if (options.Expected is { } expected && !_expectedSeen)
            {
                return new Break(BreakKind.TruncatedStream, endLine,
                    $"the checkpoint up to sequence {expected.Sequence} with digest {expected.Digest} that you recorded is not in this export" +
                    (_latest is null ? " (it has no checkpoint)." : $" (its latest covers up to {_latest.Sequence}, digest {_latest.Digest[..16]}).") +
                    " The history was cut, or the checkpoint rewritten.");
            }
            if (options.Witnessed is { } witnessed)
            {
                if (options.Keys?.Check(witnessed) is { } bad)
                    return new Break(bad.Kind, endLine, $"the witnessed checkpoint up to sequence {witnessed.Sequence}: {bad.Detail}");
                if (!_witnessSeen)
                {
                    return new Break(BreakKind.TruncatedStream, endLine,
                        $"the witness holds a checkpoint up to sequence {witnessed.Sequence} (digest {witnessed.Digest[..16]}) that this export does not have" +
                        (_latest is null ? " (it has no checkpoint)" : $" (its newest covers up to {_latest.Sequence})") +
                        ": the history is shorter than witnessed. Events, and the checkpoints that covered them, were removed.");
                }
            }
            // Anyone with the old shared key can sign an HMAC checkpoint: only an ECDSA one can vouch for the newest state.
            if (options.Keys is not null && _latest is { IsLegacy: true } newest)
            {
                return new Break(BreakKind.LegacyCheckpoint, endLine,
                    $"the newest checkpoint is a legacy HMAC one (line {newest.Line}): whoever holds the old shared key could have signed it, " +
                    "so nothing an auditor can trust vouches for this history. Sign an ECDSA checkpoint (POST /api/audit/checkpoints) and export again.");
            }
            // Signatures were asked for, and nothing is signed: a history re-chained after an edit would look exactly like this.
            if (options.Keys is not null && !options.SingleStream && _checkpoints == 0)
            {
                return new Break(BreakKind.NoCheckpoint, endLine,
                    "a key was given, but no checkpoint is in this export: nothing vouches for these events, and someone with write access " +
                    "to the database could have rewritten and re-chained them. Sign one (POST /api/audit/checkpoints) and export again.");
            }
            return null;
        }

        public VerificationReport Report(Break? broken) => new(
            // The latest checkpoint vouches for itself with its signature: only events after it are uncovered.
            broken, _events, _heads.Count, _firstSequence, _lastSequence ?? 0, _checkpoints, _latest, _uncovered.Count(e => e.Sequence != _latestLine),
            options.Keys is not null && _checkpoints > 0, options.Keys is { } keys ? string.Join(", ", keys.KeyIds) : null,
            _legacy, options.Keys?.LegacyKeyId, _witnessSeen, FromSegments, Redacted);
    }
}
