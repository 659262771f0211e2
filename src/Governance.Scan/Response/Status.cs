using Governance.Scan.Findings;

namespace Governance.Scan.Response;

/// <summary>What is known about a found secret once the scan (and, with <c>--api</c>, the gateway) has answered.</summary>
public enum Status
{
    /// <summary>Nobody was asked (no <c>--api</c>, or a provider key before the provider registry can be asked): treated as live.</summary>
    Unverified,
    /// <summary>The API says the virtual key is active or suspended; it was not revoked (no <c>--revoke</c>).</summary>
    Live,
    /// <summary>This run revoked it.</summary>
    Revoked,
    /// <summary>Revoked before this run: harmless where it lies.</summary>
    AlreadyRevoked,
    /// <summary>The checksum is valid but this gateway does not know the key (another deployment's, or hidden from this token).</summary>
    Unknown,
    /// <summary>The API could not be asked: the run stopped at an earlier error.</summary>
    NotChecked,
}

public sealed record Outcome(Finding Finding, Status Status, string? Detail = null)
{
    /// <summary>Exit code 1: a secret that may still work, or one nobody can vouch for (fail closed).</summary>
    public bool IsLiveOrUnknown => Status != Status.AlreadyRevoked;

    public static string Describe(Status status) => status switch
    {
        Status.Unverified => "unverified",
        Status.Live => "live",
        Status.Revoked => "revoked now",
        Status.AlreadyRevoked => "already revoked",
        Status.Unknown => "unknown to the gateway",
        Status.NotChecked => "not checked",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    /// <summary>The wire name in JSON and SARIF.</summary>
    public static string Name(Status status) => status switch
    {
        Status.Unverified => "unverified",
        Status.Live => "live",
        Status.Revoked => "revoked",
        Status.AlreadyRevoked => "already_revoked",
        Status.Unknown => "unknown",
        Status.NotChecked => "not_checked",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };
}
