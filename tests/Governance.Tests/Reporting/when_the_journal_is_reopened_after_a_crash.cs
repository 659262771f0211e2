using System.Diagnostics;
using Governance.Contracts.Usage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using ProxyAdapter.Reporting;
using Xunit.Abstractions;

namespace Governance.Tests.Reporting;

/// <summary>
/// The journal on its own (no API): what an append promised is on disk, a write cut short by a crash is recognised and
/// skipped, and what was acknowledged is not shipped again.
/// </summary>
public sealed class when_the_journal_is_reopened_after_a_crash(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "governance-journal-tests", Guid.NewGuid().ToString("N"));

    private JournalOptions Options => JournalOptions.InDirectory(_directory);

    private static UsageReport Report(int i) =>
        new($"req-{i:D6}", "key_1", "gpt-test", "openai", 1000 + i, 0, 100, 0, 12, 200, DateTimeOffset.UnixEpoch.AddSeconds(i), null);

    private UsageJournal Open(JournalOptions? options = null) => new(options ?? Options, TimeProvider.System, NullLogger<UsageJournal>.Instance);

    private static List<JournalItem> ReadAll(UsageJournal journal)
    {
        var all = new List<JournalItem>();
        for (var batch = journal.ReadPending(64); batch.Count > 0; batch = journal.ReadPending(64))
            all.AddRange(batch);
        return all;
    }

    private string LastSegment() => Directory.GetFiles(_directory, "*.seg").Order().Last(f => new FileInfo(f).Length > 0);

    [Fact]
    public async Task every_completed_append_is_replayed_and_a_torn_last_record_is_ignored()
    {
        var journal = Open();
        await Parallel.ForEachAsync(Enumerable.Range(0, 100), async (i, ct) => await journal.AppendAsync(Report(i), ct));
        await journal.DisposeAsync();
        // The crash cut the next group write short: a whole header, half a payload.
        var segment = LastSegment();
        var intactLength = new FileInfo(segment).Length;
        var last = File.ReadAllBytes(segment)[^300..];
        await using (var file = new FileStream(segment, FileMode.Append))
            file.Write(last.AsSpan(0, 150));

        await using var reopened = Open();
        var replayed = ReadAll(reopened);

        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), replayed.Select(r => r.Seq));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => Report(i).RequestId).Order(), replayed.Select(r => r.Entry.RequestId).Order());
        Assert.Equal(100, reopened.Backlog.PendingRecords);
        Assert.Equal(intactLength, new FileInfo(segment).Length - 150);
        // New appends continue the sequence, in a new segment, never after the torn bytes.
        await reopened.AppendAsync(Report(100), CancellationToken.None);
        Assert.Equal(101, Assert.Single(reopened.ReadPending(64)).Seq);
    }

    [Fact]
    public async Task a_record_cut_in_half_or_with_a_bad_checksum_is_not_replayed()
    {
        var journal = Open();
        for (var i = 0; i < 10; i++)
            await journal.AppendAsync(Report(i), CancellationToken.None);
        await journal.DisposeAsync();
        var segment = LastSegment();
        var bytes = File.ReadAllBytes(segment);
        // A flipped bit in the last record's payload.
        bytes[^5] ^= 0x20;
        File.WriteAllBytes(segment, bytes);

        await using (var reopened = Open())
            Assert.Equal(9, ReadAll(reopened).Count);

        File.WriteAllBytes(segment, bytes[..^40]);
        await using var again = Open();
        Assert.Equal(Enumerable.Range(0, 9).Select(i => Report(i).RequestId), ReadAll(again).Select(r => r.Entry.RequestId));
    }

    [Fact]
    public async Task acknowledged_records_are_not_replayed_and_their_segments_are_deleted()
    {
        var small = Options with { SegmentBytes = 4096 };
        var journal = Open(small);
        for (var i = 0; i < 200; i++)
            await journal.AppendAsync(Report(i), CancellationToken.None);
        var segmentsBefore = Directory.GetFiles(_directory, "*.seg").Length;
        Assert.Equal(200, ReadAll(journal).Count);
        journal.Acknowledge(150);
        Assert.Equal(50, journal.Backlog.PendingRecords);
        await journal.DisposeAsync();

        Assert.True(Directory.GetFiles(_directory, "*.seg").Length < segmentsBefore / 2);
        await using var reopened = Open(small);
        Assert.Equal(Enumerable.Range(151, 50).Select(i => (long)i), ReadAll(reopened).Select(r => r.Seq));
    }

    [Fact]
    public async Task a_second_process_cannot_open_the_same_journal()
    {
        await using var journal = Open();
        Assert.ThrowsAny<IOException>(() => Open());
    }

    [Fact]
    public async Task a_completed_append_is_in_the_file_before_the_journal_is_closed_so_a_killed_process_keeps_it()
    {
        var journal = Open();
        await journal.AppendAsync(Report(1), CancellationToken.None);
        await journal.AppendAsync(Report(2), CancellationToken.None);

        // What a kill -9 leaves: the files as the operating system has them (written, whether fsynced yet or not), without
        // anything the process would still do. A copy of the directory, opened by a new journal, stands for the restart.
        var copy = _directory + "-after-kill";
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(_directory, "*.seg"))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        try
        {
            await using var restarted = Open(JournalOptions.InDirectory(copy));
            Assert.Equal(["req-000001", "req-000002"], ReadAll(restarted).Select(r => r.Entry.RequestId));
        }
        finally
        {
            await journal.DisposeAsync();
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public async Task with_fsync_durability_an_append_completes_only_once_an_fsync_covers_it()
    {
        await using var journal = Open(Options with { Durability = JournalDurability.Fsync });
        for (var i = 1; i <= 20; i++)
        {
            await journal.AppendAsync(Report(i), CancellationToken.None);
            Assert.True(journal.Synced >= i, $"Append {i} completed with only {journal.Synced} records fsynced.");
        }
        Assert.InRange(journal.Commits, 1, 20);
    }

    [Fact]
    public async Task with_write_durability_appends_do_not_wait_for_the_paced_fsync_and_closing_fsyncs_the_rest()
    {
        var journal = Open(Options with { Durability = JournalDurability.Write, SyncInterval = TimeSpan.FromMinutes(10) });
        await journal.AppendAsync(Report(1), CancellationToken.None);
        await Integration.Wait.For(() => journal.Synced >= 1, "the first append to be fsynced");

        // The next fsync is ten minutes away: these complete without one, and are readable (shippable) at once.
        for (var i = 2; i <= 5; i++)
            await journal.AppendAsync(Report(i), CancellationToken.None);
        Assert.Equal(1, journal.Synced);
        Assert.Equal(5, ReadAll(journal).Count);

        await journal.DisposeAsync();
        Assert.Equal(5, journal.Synced);
    }

    [Fact]
    public void an_unknown_durability_setting_stops_the_adapter_at_start()
    {
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Proxy:JournalDurability"] = "sometimes" }).Build();
        var error = Assert.Throws<InvalidOperationException>(() => JournalOptions.From(settings, new ProxyAdapter.AdapterIdentity("a")));
        Assert.Contains("Proxy:JournalDurability", error.Message);
        var fsync = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Proxy:JournalDurability"] = "FSYNC" }).Build();
        Assert.Equal(JournalDurability.Fsync, JournalOptions.From(fsync, new ProxyAdapter.AdapterIdentity("a")).Durability);
    }

    /// <summary>Not a timed assertion: prints what group commit achieves here (the figure is in docs/gateway.md).</summary>
    [Fact]
    public async Task concurrent_appenders_share_fsyncs_and_every_record_is_kept_once()
    {
        await using var journal = Open(Options with { Durability = JournalDurability.Fsync });
        const int appenders = 32, each = 500;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, appenders).Select(a => Task.Run(async () =>
        {
            for (var i = 0; i < each; i++)
                await journal.AppendAsync(Report(a * each + i), CancellationToken.None);
        })));
        stopwatch.Stop();
        output.WriteLine($"group commit: {appenders * each / stopwatch.Elapsed.TotalSeconds:N0} records/s at {appenders} concurrent appenders " +
            $"({appenders * each} records in {journal.Commits} fsyncs, {stopwatch.ElapsedMilliseconds} ms)");

        var all = ReadAll(journal);
        Assert.Equal(Enumerable.Range(1, appenders * each).Select(i => (long)i), all.Select(r => r.Seq));
        Assert.Equal(appenders * each, all.Select(r => r.Entry.RequestId).Distinct().Count());
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }
}
