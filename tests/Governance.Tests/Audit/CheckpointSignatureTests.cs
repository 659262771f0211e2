using System.Security.Cryptography;
using Governance.AuditVerifier;

namespace Governance.Tests.Audit;

/// <summary>
/// Who can vouch for a history: only the holder of the private key signs; auditors verify with the public key. Old HMAC
/// checkpoints are legacy, a history cut after its last checkpoint is caught against the witness, and a key with nothing
/// to check is not a pass.
/// </summary>
public sealed class CheckpointSignatureTests
{
    private static VerificationReport Verify(AuditHistory history, VerifierOptions options) =>
        ExportVerifier.Verify(new StringReader(history.ToExport()), options);

    private static Checkpoint Parse(AuditEvent line) => Checkpoint.Parse(0, System.Text.Encoding.UTF8.GetBytes(line.Data)).Checkpoint!;

    [Fact]
    public void a_key_given_for_an_export_without_any_checkpoint_is_a_failure_not_a_pass()
    {
        var history = RandomHistories.Generate(21);
        var unsigned = history.With(history.Events.Where(e => !e.IsCheckpoint).ToList()).Rechain(AuditEvent.CheckpointStream);

        var withKey = Verify(unsigned, new VerifierOptions(history.PublicKey));
        var withoutKey = Verify(unsigned, new VerifierOptions());

        Assert.Equal(BreakKind.NoCheckpoint, withKey.FirstBreak?.Kind);
        Assert.True(withoutKey.Intact);
        Assert.Contains("No checkpoint in this export", withoutKey.Describe());
    }

    [Fact]
    public void a_history_rewritten_by_someone_with_the_old_shared_hmac_key_is_rejected()
    {
        // An auditor of an upgraded deployment still has the old HMAC key and gets write access to the database: edits an
        // event, re-chains its stream and re-signs every checkpoint the only way they can, as legacy HMAC checkpoints.
        var legacyKey = RandomNumberGenerator.GetBytes(32);
        var history = RandomHistories.Generate(22);
        var target = history.Events.First(e => !e.IsCheckpoint);
        var edited = history.With(history.Events.Select(e => e == target ? e with { Data = e.Data.Replace("\"F0\"", "\"F9\"") } : e).ToList())
            .Rechain(target.Stream);
        var forged = Resign(edited, c => AuditHistory.LegacyCheckpointData(c.Sequence, c.PreviousSequence, c.Events, c.Digest, c.PreviousDigest, legacyKey));

        var report = Verify(forged, new VerifierOptions(new CheckpointKeys([CheckpointKeys.ParsePublicKey(history.Key.ExportSubjectPublicKeyInfoPem())], legacyKey)));

        Assert.True(BreakKind.LegacyCheckpoint == report.FirstBreak?.Kind, report.Describe());
        Assert.Contains("newest checkpoint is a legacy", report.FirstBreak!.Detail);
    }

    [Fact]
    public void a_history_re_signed_with_the_forgers_own_key_under_the_real_key_id_is_rejected()
    {
        var history = RandomHistories.Generate(23);
        var realKeyId = Parse(history.Events.First(e => e.IsCheckpoint)).KeyId;
        var target = history.Events.First(e => !e.IsCheckpoint);
        var edited = history.With(history.Events.Select(e => e == target ? e with { Data = e.Data.Replace("\"F0\"", "\"F9\"") } : e).ToList())
            .Rechain(target.Stream);
        using var forger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = Resign(edited, c => AuditHistory.CheckpointData(c.Sequence, c.PreviousSequence, c.Events, c.Digest, c.PreviousDigest, forger, keyId: realKeyId));

        var report = Verify(forged, new VerifierOptions(history.PublicKey));

        Assert.Equal(BreakKind.BadCheckpointSignature, report.FirstBreak?.Kind);
        Assert.Contains($"does not verify with key {realKeyId}", report.FirstBreak!.Detail);
    }

    [Fact]
    public void legacy_hmac_checkpoints_verify_only_with_the_legacy_key_and_are_reported_as_such()
    {
        var legacyKey = RandomNumberGenerator.GetBytes(32);
        var history = RandomHistories.Generate(24, legacyKey: legacyKey);
        var publicKey = CheckpointKeys.ParsePublicKey(history.Key.ExportSubjectPublicKeyInfoPem());

        var withoutLegacy = Verify(history, new VerifierOptions(new CheckpointKeys([publicKey])));
        var withLegacy = Verify(history, new VerifierOptions(new CheckpointKeys([publicKey], legacyKey)));

        Assert.Equal(BreakKind.LegacyCheckpoint, withoutLegacy.FirstBreak?.Kind);
        Assert.True(withLegacy.Intact, withLegacy.Describe());
        Assert.True(withLegacy.LegacyCheckpoints > 0);
        Assert.Contains("legacy HMAC checkpoints", withLegacy.Describe());
        Assert.Contains("The newest checkpoint is ECDSA-signed", withLegacy.Describe());
    }

    [Fact]
    public void a_history_cut_after_its_last_checkpoint_is_caught_only_with_the_witness()
    {
        // The newest checkpoint and every event after the one before it removed: a shorter history, consistent in itself.
        var history = RandomHistories.Generate(25);
        var checkpoints = history.Events.Where(e => e.IsCheckpoint).ToList();
        Assert.True(checkpoints.Count >= 2);
        var cut = history.With(history.Events.TakeWhile(e => e != checkpoints[^2]).Append(checkpoints[^2]).ToList());
        var witnessed = Parse(checkpoints[^1]);

        var plain = Verify(cut, new VerifierOptions(history.PublicKey));
        Assert.True(plain.Intact, plain.Describe());
        var report = Verify(cut, new VerifierOptions(history.PublicKey, Witnessed: witnessed));
        Assert.Equal(BreakKind.TruncatedStream, report.FirstBreak?.Kind);
        Assert.Contains("shorter than witnessed", report.FirstBreak!.Detail);
        Assert.True(Verify(history, new VerifierOptions(history.PublicKey, Witnessed: witnessed)).Intact);
    }

    [Fact]
    public void a_witness_file_that_does_not_verify_is_rejected()
    {
        var history = RandomHistories.Generate(26);
        var witnessed = Parse(history.Events.Last(e => e.IsCheckpoint));
        var tampered = witnessed with { Signature = new string('0', 128) };

        var report = Verify(history, new VerifierOptions(history.PublicKey, Witnessed: tampered));

        Assert.Equal(BreakKind.BadCheckpointSignature, report.FirstBreak?.Kind);
    }

    /// <summary>Every checkpoint recomputed over the (edited) history and signed by <paramref name="sign"/>, its stream re-chained as it goes.</summary>
    private static AuditHistory Resign(AuditHistory history, Func<Checkpoint, string> sign)
    {
        var events = new List<AuditEvent>();
        long previousSequence = 0;
        var previousDigest = AuditHistory.Zero;
        var head = AuditHistory.Zero;
        foreach (var e in history.Events)
        {
            if (!e.IsCheckpoint)
            {
                events.Add(e);
                continue;
            }
            var claims = Parse(e);
            var covered = events.Where(x => x.Sequence > previousSequence && x.Sequence <= claims.Sequence).ToList();
            var digest = AuditHistory.Digest(previousDigest, covered);
            var resigned = AuditHistory.Chained(
                e with { Data = sign(claims with { PreviousSequence = previousSequence, Events = covered.Count, Digest = digest, PreviousDigest = previousDigest }) }, head);
            events.Add(resigned);
            (previousSequence, previousDigest, head) = (claims.Sequence, digest, resigned.Hash);
        }
        return history.With(events);
    }
}
