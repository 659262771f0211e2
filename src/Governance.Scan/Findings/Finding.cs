using Governance.Scan.Detection;

namespace Governance.Scan.Findings;

/// <summary>Where a secret was seen: a file of a directory tree or of the index, or a path in a commit of the history.</summary>
public sealed record Location(string Path, int Line, int Column, string? Commit = null, DateTimeOffset? AuthorTime = null)
{
    /// <summary><c>file:line</c>, or <c>commit:path:line</c> for the history: the "where" of a revocation's reason.</summary>
    public string Where => Commit is null ? $"{Path}:{Line}" : $"{Commit}:{Path}:{Line}";
}

/// <summary>
/// One secret at one place. Holds no part of the secret beyond its documented prefix (or a virtual key's id): the
/// fingerprint (SHA-256 of the whole secret, hex) identifies it for baselines and for matching against the gateway.
/// </summary>
public sealed record Finding(SecretRule Rule, Location Location, string Fingerprint, string Preview, string? KeyId)
{
    public bool IsVirtualKey => KeyId is not null;

    /// <summary>In the history, larger is older: of the same secret at the same path, the oldest commit introduced it.</summary>
    public long Age { get; init; }
}

public enum SkipReason
{
    /// <summary>A NUL byte in the first 8,000 bytes, git's own test for binary content.</summary>
    Binary,
    TooLarge,
    Unreadable,
    /// <summary>A symbolic link (directory mode follows none unless asked to).</summary>
    Symlink,
    /// <summary>A link whose target was already visited: a loop, or a second way to the same place.</summary>
    SymlinkLoop,
    /// <summary>Another repository inside this one: reported, never entered.</summary>
    Submodule,
}

public sealed record Skipped(string Path, SkipReason Reason, string Detail, string? Commit = null);
