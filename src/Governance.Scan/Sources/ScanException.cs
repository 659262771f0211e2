namespace Governance.Scan.Sources;

/// <summary>The scan cannot go on (unreadable path, not a repository, a corrupt repository, git missing): exit code 2.</summary>
public sealed class ScanException(string message) : Exception(message);
