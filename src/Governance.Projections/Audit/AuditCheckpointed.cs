namespace Governance.Projections.Audit;

/// <summary>
/// A signed statement about the whole history up to <see cref="Sequence"/>: every event with a sequence in
/// (<see cref="PreviousSequence"/>, <see cref="Sequence"/>] — <see cref="Events"/> of them — hashed in sequence order
/// into <see cref="Digest"/>, chained to the previous checkpoint's digest. Appended to <see cref="StreamId"/>, where the
/// trigger chains it like any other event.
/// </summary>
public sealed record AuditCheckpointed(
    long Sequence, long PreviousSequence, long Events, string Digest, string PreviousDigest, string KeyId, string Signature,
    string Actor, DateTimeOffset At)
{
    public const string StreamId = "audit:checkpoints";
}
