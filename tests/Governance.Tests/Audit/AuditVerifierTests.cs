using Governance.AuditVerifier;

namespace Governance.Tests.Audit;

/// <summary>
/// The verifier against many random histories (deterministic seeds): every untouched export is accepted, and every
/// tampered one is rejected, naming what happened.
/// </summary>
public sealed class AuditVerifierTests
{
    private const int Histories = 150;

    public static TheoryData<int> Seeds() => new(Enumerable.Range(1, Histories));

    private static VerificationReport Verify(string export, AuditHistory history, VerifierOptions? options = null) =>
        ExportVerifier.Verify(new StringReader(export), options ?? new VerifierOptions(history.PublicKey));

    [Fact]
    public void every_untouched_history_verifies()
    {
        foreach (var seed in Enumerable.Range(1, Histories))
        {
            var history = RandomHistories.Generate(seed);
            var report = Verify(history.ToExport(), history);

            Assert.True(report.Intact, $"seed {seed}: {report.Describe()}");
            Assert.Equal(history.Events.Count, report.Events);
            Assert.True(report.SignaturesChecked);
            Assert.Equal(0, report.Uncovered);
        }
    }

    [Fact]
    public void every_mutation_of_every_history_is_rejected_with_its_kind()
    {
        var failures = new List<string>();
        var tried = 0;
        foreach (var seed in Enumerable.Range(1, Histories))
        {
            var history = RandomHistories.Generate(seed);
            foreach (var mutation in AuditMutations.All(history, new Random(seed)))
            {
                tried++;
                var report = Verify(mutation.Export, history);
                if (report.Intact || !mutation.Expected.Contains(report.FirstBreak!.Kind))
                    failures.Add($"seed {seed}, {mutation.Name}: {report.Describe()}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {tried} mutations not rejected as expected:\n" + string.Join("\n", failures.Take(20)));
    }

    [Fact]
    public void an_export_cut_after_a_suffix_verifies_with_after_and_a_single_stream_with_stream()
    {
        foreach (var seed in Enumerable.Range(1, 40))
        {
            var history = RandomHistories.Generate(seed);
            var after = history.Events[history.Events.Count / 2].Sequence;
            var suffix = history.With(history.Events.Where(e => e.Sequence > after).ToList());
            var report = Verify(suffix.ToExport(), history, new VerifierOptions(history.PublicKey, After: after));
            Assert.True(report.Intact, $"seed {seed}, after {after}: {report.Describe()}");

            foreach (var stream in history.Events.Select(e => e.Stream).Distinct())
            {
                var single = history.With(history.Events.Where(e => e.Stream == stream).ToList());
                Assert.True(Verify(single.ToExport(), history, new VerifierOptions(history.PublicKey, SingleStream: true)).Intact, $"seed {seed}, stream {stream}");
            }
        }
    }

    [Fact]
    public void without_the_full_history_a_missing_start_is_a_deleted_event()
    {
        var history = RandomHistories.Generate(7);
        var withoutFirst = history.With(history.Events.Skip(1).ToList());

        var report = Verify(withoutFirst.ToExport(), history);

        Assert.False(report.Intact);
        Assert.Contains(report.FirstBreak!.Kind, new[] { BreakKind.DeletedEvent, BreakKind.TruncatedStream });
    }

    [Fact]
    public void a_hole_the_chain_was_written_over_is_a_version_gap()
    {
        // Three versions of one stream; the second one deleted and the third re-linked to the first, keeping its number.
        var history = RandomHistories.Generate(11);
        var stream = history.Events.GroupBy(e => e.Stream).First(g => g.Count() >= 3 && !g.First().IsCheckpoint).ToList();
        var events = history.Events.Where(e => e != stream[1]).ToList();
        var third = events.IndexOf(stream[2]);
        events[third] = AuditHistory.Chained(stream[2], stream[0].Hash);

        var report = Verify(history.With(events).ToExport(), history);

        Assert.Equal(BreakKind.VersionGap, report.FirstBreak?.Kind);
        Assert.Contains($"version {stream[2].Version}", report.FirstBreak!.Detail);
    }

    [Fact]
    public void removing_the_latest_checkpoint_is_caught_only_against_a_recorded_copy()
    {
        var history = RandomHistories.Generate(3);
        var latest = history.Events.Last(e => e.IsCheckpoint);
        var checkpoint = Checkpoint.Parse(0, System.Text.Encoding.UTF8.GetBytes(latest.Data)).Checkpoint!;
        var cut = history.With(history.Events.Where(e => e != latest).ToList()).ToExport();
        var recorded = (checkpoint.Sequence, checkpoint.Digest[..16]);

        Assert.True(Verify(history.ToExport(), history, new VerifierOptions(history.PublicKey, Expected: recorded)).Intact);
        Assert.True(Verify(cut, history).Intact);
        Assert.Equal(BreakKind.TruncatedStream, Verify(cut, history, new VerifierOptions(history.PublicKey, Expected: recorded)).FirstBreak?.Kind);
    }

    [Fact]
    public void the_wrong_key_is_a_bad_signature_and_no_key_is_reported_as_unchecked()
    {
        var history = RandomHistories.Generate(5);

        using var other = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var wrong = Verify(history.ToExport(), history, new VerifierOptions(new CheckpointKeys([other])));
        var none = Verify(history.ToExport(), history, new VerifierOptions());

        Assert.Equal(BreakKind.BadCheckpointSignature, wrong.FirstBreak?.Kind);
        Assert.Contains("not with a key given", wrong.FirstBreak!.Detail);
        Assert.True(none.Intact);
        Assert.False(none.SignaturesChecked);
        Assert.Contains("NOT verified", none.Describe());
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"sequence\":1}")]
    [InlineData("{\"sequence\":1,\"stream\":\"s\",\"version\":1,\"type\":\"t\",\"timestamp\":\"x\",\"actor\":null,\"correlationId\":null,\"causationId\":null,\"data\":{},\"prevHash\":\"00\",\"hash\":\"00\"}")]
    public void a_line_that_is_not_an_export_line_is_malformed(string line)
    {
        var report = ExportVerifier.Verify(new StringReader(line + "\n"), new VerifierOptions());

        Assert.Equal(BreakKind.Malformed, report.FirstBreak?.Kind);
        Assert.Equal(1, report.FirstBreak!.Line);
    }
}
