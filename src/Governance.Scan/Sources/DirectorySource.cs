using Governance.Scan.Findings;

namespace Governance.Scan.Sources;

/// <summary>
/// Scans a directory tree (or one file). Symbolic links are not followed unless asked, and then each real directory is
/// entered once, so a link loop ends. <c>.git</c> is not read (use <c>--git</c> for the history); a directory holding
/// its own <c>.git</c> is another repository (a submodule) and is reported, not entered. Only files with a size are
/// opened, and never more than that size is read: a FIFO, socket or device (size 0) cannot block the scan, and a file
/// that grows while it is read cannot keep it running.
/// </summary>
public sealed class DirectorySource(string root, bool followSymlinks)
{
    private const int MaxDepth = 256;

    public Task ScanAsync(ScanSink sink, CancellationToken ct)
    {
        var full = Path.GetFullPath(root);
        if (File.Exists(full))
        {
            sink.Result.Root = Path.GetDirectoryName(full)!;
            ScanFile(new FileInfo(full), Path.GetFileName(full), sink);
        }
        else if (Directory.Exists(full))
        {
            sink.Result.Root = full;
            var real = RealPath(full) ?? full;
            Walk(new DirectoryInfo(full), "", real, sink, new HashSet<string>(StringComparer.Ordinal) { real }, 0, ct);
        }
        else
        {
            throw new ScanException($"{root}: no such file or directory");
        }
        return Task.CompletedTask;
    }

    /// <param name="real">The directory's path with every link resolved: two ways to one directory compare equal.</param>
    private void Walk(DirectoryInfo directory, string relative, string real, ScanSink sink, HashSet<string> visited, int depth, CancellationToken ct)
    {
        if (depth > MaxDepth)
        {
            sink.Skip(new Origin(relative), SkipReason.Unreadable, $"deeper than {MaxDepth} directories");
            return;
        }
        FileSystemInfo[] entries;
        try
        {
            entries = directory.GetFileSystemInfos();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            sink.Skip(new Origin(relative.Length == 0 ? "." : relative), SkipReason.Unreadable, e.Message);
            return;
        }
        Array.Sort(entries, (a, b) => string.CompareOrdinal(a.Name, b.Name));
        foreach (var entry in entries)
        {
            ct.ThrowIfCancellationRequested();
            var path = relative.Length == 0 ? entry.Name : relative + "/" + entry.Name;
            if (entry.LinkTarget is not null)
                FollowLink(entry, path, sink, visited, depth, ct);
            else if (entry is not DirectoryInfo child)
                ScanFile((FileInfo)entry, path, sink);
            else if (child.Name == ".git")
                continue;
            else if (Directory.Exists(Path.Combine(child.FullName, ".git")) || File.Exists(Path.Combine(child.FullName, ".git")))
                sink.Skip(new Origin(path), SkipReason.Submodule, "another git repository (a submodule): not entered; scan it on its own");
            else
            {
                var childReal = Path.Combine(real, child.Name);
                if (visited.Add(childReal))
                    Walk(child, path, childReal, sink, visited, depth + 1, ct);
            }
        }
    }

    private void FollowLink(FileSystemInfo link, string path, ScanSink sink, HashSet<string> visited, int depth, CancellationToken ct)
    {
        if (!followSymlinks)
        {
            sink.Skip(new Origin(path), SkipReason.Symlink, "symbolic link, not followed");
            return;
        }
        switch (RealPath(link.FullName))
        {
            case null:
                sink.Skip(new Origin(path), SkipReason.Unreadable, $"symbolic link to nothing, or a loop of links ({link.LinkTarget})");
                break;
            case var target when Directory.Exists(target):
                if (visited.Add(target))
                    Walk(new DirectoryInfo(target), path, target, sink, visited, depth + 1, ct);
                else
                    sink.Skip(new Origin(path), SkipReason.SymlinkLoop, $"symbolic link to a directory already scanned ({link.LinkTarget})");
                break;
            case var target:
                ScanFile(new FileInfo(target), path, sink);
                break;
        }
    }

    private static void ScanFile(FileInfo file, string path, ScanSink sink)
    {
        var origin = new Origin(path);
        try
        {
            // Empty, or a FIFO, socket or device (stat gives those no size; opening a FIFO would wait for a writer).
            var length = file.Length;
            if (length == 0)
                return;
            if (length > sink.MaxSize)
            {
                sink.Skip(origin, SkipReason.TooLarge, $"{ScanSink.Size(length)}, larger than the limit of {ScanSink.Size(sink.MaxSize)}");
                return;
            }
            using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
            var content = new byte[length];
            var read = stream.ReadAtLeast(content, content.Length, throwOnEndOfStream: false);
            sink.Content(content.AsSpan(0, read), [origin]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            sink.Skip(origin, SkipReason.Unreadable, e.Message);
        }
    }

    /// <summary>The path with every symbolic link in it resolved; null when it leads nowhere or round in a loop.</summary>
    private static string? RealPath(string path, int hops = 0)
    {
        if (hops > 64)
            return null;
        try
        {
            var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
            var parent = Path.GetDirectoryName(full);
            var here = parent is null ? full : Path.Combine(RealPath(parent, hops) ?? parent, Path.GetFileName(full));
            var info = new FileInfo(here);
            if (info.LinkTarget is null)
                return Path.Exists(here) ? here : null;
            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            return target is null || !target.Exists && !Directory.Exists(target.FullName) ? null : RealPath(target.FullName, hops + 1);
        }
        catch (IOException)
        {
            return null; // ELOOP: links that point at each other
        }
    }
}
