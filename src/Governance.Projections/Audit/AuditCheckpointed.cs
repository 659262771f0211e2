namespace Governance.Projections.Audit;

/// <summary>
/// A signed statement about the whole history up to <see cref="Sequence"/>: every event with a sequence in
/// (<see cref="PreviousSequence"/>, <see cref="Sequence"/>] — <see cref="Events"/> of them — hashed in sequence order
/// into <see cref="Digest"/>, chained to the previous checkpoint's digest. Appended to <see cref="StreamId"/>, where the
/// trigger chains it like any other event.
/// </summary>
/// <param name="Algorithm">
/// <see cref="CheckpointSigner.Algorithm"/> (ECDSA P-256); null on checkpoints written before it, which were signed with
/// HMAC-SHA-256 (legacy, see docs/audit.md). (No computed "is legacy" property: it would be serialized into the event.)
/// </param>
/// <param name="ChainStart">
/// The last sequence the chain's backfill may hash (events that predate the chain); every later event was hashed by the
/// trigger as it was written. Null on legacy checkpoints.
/// </param>
public sealed record AuditCheckpointed(
    long Sequence, long PreviousSequence, long Events, string Digest, string PreviousDigest, string KeyId, string Signature,
    string Actor, DateTimeOffset At, string? Algorithm = null, long? ChainStart = null)
{
    public const string StreamId = "audit:checkpoints";
}
