namespace Governance.Projections.Audit;

/// <summary>
/// The checkpoint writer will not sign: the history it would extend is not the one it can vouch for. Nothing was written;
/// <see cref="Code"/> says why (docs/audit.md, "When checkpointing stops").
/// </summary>
public class CheckpointRefused(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>An event in range has no chain hash (written while the trigger was off, or its hash stripped); nothing was signed.</summary>
public sealed class AuditChainIncomplete(long sequence) : CheckpointRefused("audit_chain_incomplete",
    $"Event {sequence} has no chain hash: it was written while the audit trigger was off, or its hash was removed. It is never chained after the fact.")
{
    public long Sequence { get; } = sequence;
}

/// <summary>
/// What a checkpoint writer checks before it trusts the newest checkpoint in the database as the one to extend. The
/// range the newest checkpoint covers is re-digested separately (it needs the database).
/// </summary>
public static class CheckpointTrust
{
    /// <param name="latest">The newest checkpoint in the database, or null when the stream is empty.</param>
    /// <param name="chainStart">Where the chain starts now (the recorded sequence the backfill may hash up to).</param>
    /// <param name="witnessed">The newest checkpoint the witness holds, if any.</param>
    /// <param name="known">The newest checkpoint this node verified or wrote since it started, if any.</param>
    /// <param name="ecdsaExists">Whether the checkpoint stream holds any ECDSA-signed checkpoint.</param>
    /// <returns>Null when <paramref name="latest"/> may be extended; otherwise the refusal.</returns>
    public static CheckpointRefused? Check(
        AuditCheckpointed? latest, long chainStart, AuditCheckpointed? witnessed, AuditCheckpointed? known, bool ecdsaExists, CheckpointSigner signer)
    {
        if (witnessed is not null && signer.Check(witnessed) is { } badWitness)
            return new("witness_invalid", $"The witnessed checkpoint up to sequence {witnessed.Sequence} is not one this node can trust: {badWitness}.");
        var anchor = witnessed is null || (known is not null && known.Sequence > witnessed.Sequence) ? known : witnessed;

        if (latest is null)
        {
            return anchor is null ? null : new("checkpoint_stream_missing",
                $"The database has no checkpoint, but one up to sequence {anchor.Sequence} (digest {anchor.Digest[..16]}) was " +
                "written before: the checkpoint stream was deleted. Checkpointing stops rather than start over from 0.");
        }
        // Legacy HMAC checkpoints begin old histories; once this node has seen an ECDSA one, an HMAC one is a downgrade that
        // anyone with the old shared key (auditors had it) could have forged.
        if (latest.Algorithm is null && (anchor is not null || ecdsaExists))
            return new("checkpoint_signature_invalid", $"The newest checkpoint (up to sequence {latest.Sequence}) is a legacy HMAC checkpoint, but ECDSA ones were written before it.");
        if (signer.Check(latest) is { } bad)
            return new("checkpoint_signature_invalid", $"The newest checkpoint (up to sequence {latest.Sequence}) cannot be trusted: {bad}.");
        if (anchor is not null && latest.Sequence < anchor.Sequence)
        {
            return new("checkpoint_behind_witness",
                $"The newest checkpoint in the database covers up to sequence {latest.Sequence}, but one up to {anchor.Sequence} " +
                $"(digest {anchor.Digest[..16]}) was written before: the history or its checkpoints were cut.");
        }
        if (anchor is not null && latest.Sequence == anchor.Sequence && !string.Equals(latest.Digest, anchor.Digest, StringComparison.OrdinalIgnoreCase))
        {
            return new("checkpoint_differs_from_witness",
                $"The checkpoint up to sequence {latest.Sequence} has digest {latest.Digest[..16]}, but {anchor.Digest[..16]} was witnessed.");
        }
        if (latest.ChainStart is { } signedStart && signedStart != chainStart)
        {
            return new("chain_start_changed",
                $"The chain start recorded in the database is {chainStart}, but the newest checkpoint signed {signedStart}: " +
                "someone changed which events the backfill may hash.");
        }
        return null;
    }
}
