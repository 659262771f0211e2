using System.Text;
using System.Text.Json;

namespace Governance.Tests.Audit;

/// <summary>Random histories: streams started and appended to in any interleaving, sequence gaps (failed transactions), checkpoints now and then and one at the end.</summary>
public static class RandomHistories
{
    private static readonly string[] Actors = ["op_0123456789abcdef", "adapter:gw-1", "system:hold-expiry", "system:bootstrap"];
    private static readonly string[] Types = ["key_issued", "hold_placed", "request_completed", "budget_set", "price_set"];
    /// <summary>A few signing keys, made once: ECDSA keys cannot be derived from a seed, and making one per history is slow.</summary>
    private static readonly System.Security.Cryptography.ECDsa[] Keys =
        [.. Enumerable.Range(0, 4).Select(_ => System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256))];

    private static readonly string[] Words = ["billing", "gpt-4o-mini", "café", "naïve ✓", "a \"quoted\" word", "line\nbreak", "tab\there", "東京"];

    /// <param name="legacyKey">With it, the checkpoints of the first half are legacy HMAC ones signed with it (an upgraded history).</param>
    public static AuditHistory Generate(int seed, int events = 60, byte[]? legacyKey = null)
    {
        var legacy = legacyKey is not null;
        var random = new Random(seed);
        // The bytes the HMAC key once took: the same seed still makes the same history.
        random.NextBytes(new byte[32]);
        var key = Keys[seed % Keys.Length];
        var history = new List<AuditEvent>();
        var heads = new Dictionary<string, (long Version, string Hash)>();
        long sequence = 0, checkpointedUpTo = 0;
        var checkpointDigest = AuditHistory.Zero;
        var streams = new List<string>();

        void Append(string stream, string type, string? actor, string data)
        {
            sequence += random.Next(10) == 0 ? random.Next(2, 4) : 1; // gaps: sequence numbers lost to rolled-back transactions
            var (version, prev) = heads.TryGetValue(stream, out var head) ? (head.Version + 1, head.Hash) : (1L, AuditHistory.Zero);
            var e = AuditHistory.Chained(new AuditEvent(sequence, stream, version, type, Timestamp(random, sequence), actor,
                random.Next(5) == 0 ? null : Guid.NewGuid().ToString("N"), random.Next(3) == 0 ? Guid.NewGuid().ToString() : null, data, prev, ""), prev);
            heads[stream] = (version, e.Hash);
            history.Add(e);
        }

        void Checkpoint(long upTo)
        {
            var covered = history.Where(e => e.Sequence > checkpointedUpTo && e.Sequence <= upTo).ToList();
            var digest = AuditHistory.Digest(checkpointDigest, covered);
            Append(AuditEvent.CheckpointStream, "audit_checkpoint", "system:audit-checkpoint", legacy
                ? AuditHistory.LegacyCheckpointData(upTo, checkpointedUpTo, covered.Count, digest, checkpointDigest, legacyKey!)
                : AuditHistory.CheckpointData(upTo, checkpointedUpTo, covered.Count, digest, checkpointDigest, key));
            (checkpointedUpTo, checkpointDigest) = (upTo, digest);
        }

        for (var i = 0; i < events; i++)
        {
            var stream = streams.Count == 0 || random.Next(3) == 0 ? NewStream(random, streams) : streams[random.Next(streams.Count)];
            Append(stream, Types[random.Next(Types.Length)], random.Next(8) == 0 ? null : Actors[random.Next(Actors.Length)], Data(random));
            // A checkpoint now and then; the events appended while it waited fall in the next one's range.
            if (random.Next(12) == 0 || (legacy && i == events / 2 - 1))
                Checkpoint(Math.Max(checkpointedUpTo, sequence - random.Next(3)));
            if (i == events / 2 - 1)
                legacy = false;
        }
        Checkpoint(sequence);
        return new AuditHistory(history, key);
    }

    private static string NewStream(Random random, List<string> streams)
    {
        var stream = random.Next(3) switch { 0 => "req_", 1 => "budget:key:", _ => "gk" } + Guid.NewGuid().ToString("N")[..12];
        streams.Add(stream);
        return stream;
    }

    private static string Timestamp(Random random, long sequence) =>
        new DateTime(2026, 11, 2, 14, 3, 0, DateTimeKind.Utc).AddTicks(sequence * 1_000_000 + random.Next(10) * 10)
            .ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>JSON in PostgreSQL's jsonb text style, with escapes and non-ASCII text.</summary>
    private static string Data(Random random)
    {
        var fields = new List<string>();
        for (var i = 0; i < random.Next(1, 5); i++)
        {
            var value = random.Next(4) switch
            {
                0 => JsonSerializer.Serialize(Words[random.Next(Words.Length)], new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }),
                1 => (random.Next(100_000) / 1000m).ToString(System.Globalization.CultureInfo.InvariantCulture),
                2 => $"[{random.Next(100)}, {random.Next(100)}]",
                _ => $"{{\"Id\": \"{Guid.NewGuid():N}\"}}",
            };
            fields.Add($"\"F{i}\": {value}");
        }
        return "{" + string.Join(", ", fields) + "}";
    }
}
