using System.Runtime.InteropServices;
using System.Text;

namespace Governance.Api.Archive;

/// <summary>
/// fsync of a directory, so that a file created (or renamed) in it survives a crash before the archive event that names
/// it commits. .NET flushes files (<c>Flush(true)</c>) but has no call for a directory's entries.
/// </summary>
internal static partial class DirectorySync
{
    private const int ReadOnlyDirectory = 0x10000; // O_RDONLY | O_DIRECTORY on Linux

    public static void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux())
            return;
        var path = Encoding.UTF8.GetBytes(directory + "\0");
        var fd = Open(path, ReadOnlyDirectory);
        if (fd < 0)
            throw new IOException($"Cannot open {directory} to sync it (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            if (Fsync(fd) != 0)
                throw new IOException($"Cannot sync {directory} (errno {Marshal.GetLastPInvokeError()}).");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true)]
    private static partial int Open(byte[] path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
