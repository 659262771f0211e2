using System.Runtime.InteropServices;
using Governance.Contracts.Audit;
using Governance.Contracts.Usage;
using Governance.Domain.Access;
using Governance.Projections.Usage;
using Microsoft.Extensions.Logging.Abstractions;
using ProxyAdapter.Reporting;

namespace Governance.Tests.Reporting;

/// <summary>
/// The journal holds key ids, apps, models and costs of every call: its directory is 0700 and its files 0600 whatever the
/// process's umask, and a journal left by an older version with wider modes is tightened when it is opened.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class when_the_journal_is_created_under_any_umask : IDisposable
{
    private const UnixFileMode OwnerDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "governance-journal-tests", Guid.NewGuid().ToString("N"));

    [DllImport("libc", EntryPoint = "umask")]
    private static extern uint SetUmask(uint mask);

    private UsageJournal Open() => new(JournalOptions.InDirectory(_directory), TimeProvider.System, NullLogger<UsageJournal>.Instance);

    private static UsageReport Report(int i) =>
        new($"req-{i:D6}", "key_1", "gpt-test", "openai", 1000, 0, 100, 0, 12, 200, DateTimeOffset.UnixEpoch.AddSeconds(i), null);

    /// <summary>Runs <paramref name="action"/> with umask 000 (files 0666, directories 0777 unless the code says otherwise).</summary>
    private static async Task UnderOpenUmask(Func<Task> action)
    {
        var previous = SetUmask(0);
        try
        {
            await action();
        }
        finally
        {
            SetUmask(previous);
        }
    }

    private void AssertOwnerOnly()
    {
        Assert.Equal(OwnerDirectory, File.GetUnixFileMode(_directory));
        var files = Directory.GetFiles(_directory);
        Assert.Contains(files, f => f.EndsWith(".seg", StringComparison.Ordinal));
        Assert.Contains(files, f => Path.GetFileName(f) == "acked");
        Assert.Contains(files, f => Path.GetFileName(f) == "dead-letter.jsonl");
        Assert.All(files, f => Assert.True(File.GetUnixFileMode(f) == OwnerFile, $"{Path.GetFileName(f)}: {File.GetUnixFileMode(f)}"));
    }

    [Fact]
    public async Task its_directory_and_files_are_owner_only_whatever_the_umask()
    {
        await UnderOpenUmask(async () =>
        {
            await using var journal = Open();
            await journal.AppendAsync(Report(1), CancellationToken.None);
            await journal.AppendAsync(new RequestDenied("req-2", null, null, "m", DenialReasons.ModelNotAllowed, null, null, null, null, "adapter:a", DateTimeOffset.UnixEpoch),
                CancellationToken.None);
            await journal.AppendAsync(new RefusalReport("a", "0123456789abcdef", DateTimeOffset.UnixEpoch, [new(DenialReasons.UnknownKey, null, 5)]), CancellationToken.None);
            var items = journal.ReadPending(10);
            journal.Quarantine(items[0], "requestId", "refused for the test");
            journal.Acknowledge(items[^1].Seq);

            AssertOwnerOnly();
        });
    }

    [Fact]
    public async Task a_journal_left_with_wider_modes_is_tightened_when_opened()
    {
        await UnderOpenUmask(async () =>
        {
            await using (var journal = Open())
            {
                await journal.AppendAsync(Report(1), CancellationToken.None);
                var items = journal.ReadPending(10);
                journal.Quarantine(items[0], "requestId", "refused for the test");
                await journal.AppendAsync(Report(2), CancellationToken.None);
                journal.Acknowledge(1);
            }
            File.SetUnixFileMode(_directory, OwnerDirectory | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            foreach (var file in Directory.GetFiles(_directory))
                File.SetUnixFileMode(file, OwnerFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

            await using var reopened = Open();

            AssertOwnerOnly();
        });
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }
}
