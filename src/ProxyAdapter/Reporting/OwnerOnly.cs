using Microsoft.Win32.SafeHandles;

namespace ProxyAdapter.Reporting;

/// <summary>
/// The journal holds what the API will be told about every call (key ids, apps, models, costs, refusals): its directory is
/// 0700 and its files 0600, set explicitly (chmod), so the process's umask never widens them. An existing directory or
/// file is tightened when the journal opens it. Not applied on Windows, whose ACLs the umask does not govern.
/// </summary>
internal static class OwnerOnly
{
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates <paramref name="path"/> if needed, and makes it and every file already in it owner-only.</summary>
    public static void Directory(string path)
    {
        System.IO.Directory.CreateDirectory(path);
        if (OperatingSystem.IsWindows())
            return;
        File.SetUnixFileMode(path, DirectoryMode);
        foreach (var file in System.IO.Directory.EnumerateFiles(path))
            File.SetUnixFileMode(file, FileMode);
    }

    /// <summary>Makes an open file owner-only (fchmod on the handle: no window for a path swapped meanwhile).</summary>
    public static SafeFileHandle Restrict(SafeFileHandle file)
    {
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(file, FileMode);
        return file;
    }

    public static FileStream Restrict(FileStream stream)
    {
        Restrict(stream.SafeFileHandle);
        return stream;
    }
}
