using System.Text;
using System.Text.Json;
using Governance.AuditVerifier;

namespace Governance.Tests.Audit;

/// <summary>A tampered export and the ways the verifier may name what happened to it.</summary>
public sealed record Mutation(string Name, string Export, BreakKind[] Expected);

/// <summary>
/// Every kind of tampering, applied at a random place. Only what a signed checkpoint can witness is tampered with:
/// events the latest checkpoint covers (in these histories, all of them); removing that checkpoint itself is
/// detectable only against a copy kept elsewhere (<c>--expect</c>), tested separately.
/// </summary>
public static class AuditMutations
{
    public static IEnumerable<Mutation> All(AuditHistory history, Random random)
    {
        yield return FlipDataByte(history, random);
        yield return Delete(history, random);
        yield return Reorder(history, random);
        yield return DuplicateLine(history, random);
        yield return InsertFabricated(history, random);
        yield return Truncate(history, random);
        yield return FlipSignature(history, random);
        yield return ForgeCheckpoint(history, random);
        yield return EditAndRechain(history, random);
    }

    /// <summary>One character of a string in an event's data changed, hash left alone.</summary>
    public static Mutation FlipDataByte(AuditHistory history, Random random)
    {
        var candidates = history.Events.Select((e, i) => (e, i)).Where(x => FlippablePositions(x.e.Data).Count > 0).ToList();
        var (target, index) = candidates[random.Next(candidates.Count)];
        var events = history.Events.ToList();
        events[index] = target with { Data = Flip(target.Data, random) };
        return new("byte flip in data", history.With(events).ToExport(), [BreakKind.EditedData]);
    }

    /// <summary>One covered event's line removed.</summary>
    public static Mutation Delete(AuditHistory history, Random random)
    {
        var covered = Covered(history);
        var candidates = history.Events.Select((e, i) => (e, i)).Where(x => x.e.Sequence <= covered).ToList();
        var events = history.Events.ToList();
        events.RemoveAt(candidates[random.Next(candidates.Count)].i);
        return new("deletion", history.With(events).ToExport(), [BreakKind.DeletedEvent, BreakKind.TruncatedStream]);
    }

    /// <summary>Two lines swapped.</summary>
    public static Mutation Reorder(AuditHistory history, Random random)
    {
        var events = history.Events.ToList();
        var i = random.Next(events.Count - 1);
        var j = random.Next(i + 1, events.Count);
        (events[i], events[j]) = (events[j], events[i]);
        return new("reordering", history.With(events).ToExport(), [BreakKind.ReorderedEvents]);
    }

    /// <summary>A line repeated right after itself.</summary>
    public static Mutation DuplicateLine(AuditHistory history, Random random)
    {
        var events = history.Events.ToList();
        var index = random.Next(events.Count);
        events.Insert(index + 1, events[index]);
        return new("insertion of a copy", history.With(events).ToExport(), [BreakKind.InsertedEvent]);
    }

    /// <summary>
    /// A well-formed event, correctly hashed, at a sequence number nobody used: the start of a new stream, or the next
    /// version of an existing one slipped in before the real next version.
    /// </summary>
    public static Mutation InsertFabricated(AuditHistory history, Random random)
    {
        var covered = Covered(history);
        var used = history.Events.Select(e => e.Sequence).ToHashSet();
        var free = Enumerable.Range(1, (int)covered).Select(s => (long)s).Where(s => !used.Contains(s)).ToList();
        var events = history.Events.ToList();
        if (free.Count == 0)
            return DuplicateLine(history, random);
        var sequence = free[random.Next(free.Count)];
        var before = events.Where(e => e.Sequence < sequence && !e.IsCheckpoint).ToList();
        var into = before.Count > 0 && random.Next(2) == 0 ? before[random.Next(before.Count)] : null;
        // The latest event of that stream before the chosen sequence is the one the fabricated event follows.
        var head = into is null ? null : before.Last(e => e.Stream == into.Stream);
        var fabricated = AuditHistory.Chained(new AuditEvent(sequence, head?.Stream ?? "req_fabricated", (head?.Version ?? 0) + 1, "request_completed",
            "2026-11-02T14:03:00.000000Z", "adapter:gw-1", null, null, "{\"Cost\": 0}", "", ""), head?.Hash ?? AuditHistory.Zero);
        events.Insert(events.FindIndex(e => e.Sequence > sequence), fabricated);
        return new("insertion of a fabricated event", history.With(events).ToExport(), [BreakKind.InsertedEvent]);
    }

    /// <summary>The last events of one covered stream removed (a stream other than the checkpoints').</summary>
    public static Mutation Truncate(AuditHistory history, Random random)
    {
        var covered = Covered(history);
        var streams = history.Events.Where(e => !e.IsCheckpoint).GroupBy(e => e.Stream).Where(g => g.Last().Sequence <= covered).Select(g => g.Key).ToList();
        var stream = streams[random.Next(streams.Count)];
        var ofStream = history.Events.Where(e => e.Stream == stream).ToList();
        var removed = ofStream.Skip(ofStream.Count - random.Next(1, ofStream.Count + 1)).ToHashSet();
        return new("truncation", history.With(history.Events.Where(e => !removed.Contains(e)).ToList()).ToExport(), [BreakKind.TruncatedStream]);
    }

    /// <summary>A checkpoint's signature changed, nothing else.</summary>
    public static Mutation FlipSignature(AuditHistory history, Random random)
    {
        var (checkpoint, index) = RandomCheckpoint(history, random);
        var events = history.Events.ToList();
        events[index] = checkpoint with { Data = Resign(checkpoint.Data, _ => Convert.ToHexStringLower(RandomBytes(random, 64))) };
        return new("checkpoint signature change", history.With(events).ToExport(), [BreakKind.EditedData]);
    }

    /// <summary>
    /// A checkpoint re-signed with a key of the forger's own, under the real key's id, and the checkpoints' chain recomputed
    /// to match: what an auditor, who holds only the public key, could do at best.
    /// </summary>
    public static Mutation ForgeCheckpoint(AuditHistory history, Random random)
    {
        var (checkpoint, index) = RandomCheckpoint(history, random);
        using var forger = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var events = history.Events.ToList();
        events[index] = checkpoint with { Data = Resign(checkpoint.Data, claims => Convert.ToHexStringLower(
            forger.SignData(claims, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.DSASignatureFormat.IeeeP1363FixedFieldConcatenation))) };
        return new("checkpoint re-signed with another key", history.With(events).Rechain(AuditEvent.CheckpointStream).ToExport(), [BreakKind.BadCheckpointSignature]);
    }

    /// <summary>An event's data edited and its stream's chain recomputed, as someone with write access to the database could.</summary>
    public static Mutation EditAndRechain(AuditHistory history, Random random)
    {
        var covered = Covered(history);
        var candidates = history.Events.Select((e, i) => (e, i))
            .Where(x => !x.e.IsCheckpoint && x.e.Sequence <= covered && FlippablePositions(x.e.Data).Count > 0).ToList();
        var (target, index) = candidates[random.Next(candidates.Count)];
        var events = history.Events.ToList();
        events[index] = target with { Data = Flip(target.Data, random) };
        return new("edit with the chain recomputed", history.With(events).Rechain(target.Stream).ToExport(), [BreakKind.EditedData]);
    }

    /// <summary>The sequence up to which the latest checkpoint vouches for every event.</summary>
    public static long Covered(AuditHistory history) =>
        Checkpoint.Parse(0, Encoding.UTF8.GetBytes(history.Events.Last(e => e.IsCheckpoint).Data)).Checkpoint!.Sequence;

    private static (AuditEvent Checkpoint, int Index) RandomCheckpoint(AuditHistory history, Random random)
    {
        var checkpoints = history.Events.Select((e, i) => (e, i)).Where(x => x.e.IsCheckpoint).ToList();
        return checkpoints[random.Next(checkpoints.Count)];
    }

    /// <summary>The checkpoint data with its signature replaced by <paramref name="sign"/> of its claims.</summary>
    private static string Resign(string data, Func<byte[], string> sign)
    {
        var fields = JsonDocument.Parse(data).RootElement.EnumerateObject().ToDictionary(p => p.Name.ToLowerInvariant(), p => p.Value);
        var claims = AuditHistory.SignedBytes(fields["sequence"].GetInt64(), fields["previoussequence"].GetInt64(), fields["events"].GetInt64(),
            fields["digest"].GetString()!, fields["previousdigest"].GetString()!, fields["chainstart"].GetInt64());
        var old = fields["signature"].GetString()!;
        var replacement = sign(claims);
        if (replacement == old)
            replacement = (old[0] == '0' ? "1" : "0") + old[1..];
        return data.Replace(old, replacement, StringComparison.Ordinal);
    }

    /// <summary>Positions of ASCII letters and digits inside JSON strings, away from escape sequences: changing one keeps the JSON valid.</summary>
    private static List<int> FlippablePositions(string data)
    {
        var bytes = Encoding.UTF8.GetBytes(data);
        var positions = new List<int>();
        var reader = new Utf8JsonReader(bytes);
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName))
                continue;
            var start = (int)reader.TokenStartIndex + 1;
            for (var i = start; i < start + reader.ValueSpan.Length; i++)
            {
                var inEscape = Enumerable.Range(1, Math.Min(5, i - start)).Any(back => bytes[i - back] == '\\');
                if (!inEscape && char.IsAsciiLetterOrDigit((char)bytes[i]))
                    positions.Add(i);
            }
        }
        return positions;
    }

    private static string Flip(string data, Random random)
    {
        var bytes = Encoding.UTF8.GetBytes(data);
        var positions = FlippablePositions(data);
        var at = positions[random.Next(positions.Count)];
        var original = (char)bytes[at];
        var alphabet = char.IsAsciiDigit(original) ? "0123456789" : "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        char replacement;
        do replacement = alphabet[random.Next(alphabet.Length)]; while (replacement == original);
        bytes[at] = (byte)replacement;
        return Encoding.UTF8.GetString(bytes);
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
