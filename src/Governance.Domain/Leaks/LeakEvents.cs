namespace Governance.Domain.Leaks;

/// <summary>What happens to an app's virtual key when a secret-scanning service reports it leaked.</summary>
public static class LeakPolicies
{
    /// <summary>Revoke the key (the default): the proxies refuse it once the change feed delivers the revocation.</summary>
    public const string Revoke = "revoke";

    /// <summary>Suspend the key: refused until an admin resumes it (for apps that cannot lose a key unannounced).</summary>
    public const string Suspend = "suspend";

    /// <summary>Only tell the app's webhook; the key keeps working.</summary>
    public const string Alert = "alert";

    public const string Default = Revoke;

    public static readonly IReadOnlyList<string> All = [Revoke, Suspend, Alert];
}

/// <summary>An admin set how the app's leaked keys are handled. Stream: "app:{name}" (persisted as "app_leak_policy_set").</summary>
public sealed record AppLeakPolicySet(string App, string Policy, string SetBy, DateTimeOffset SetAt);

/// <summary>The labels of the secret scanning partner program's answer: was the reported token one of ours, for real.</summary>
public static class LeakLabels
{
    public const string TruePositive = "true_positive";
    public const string FalsePositive = "false_positive";
}

/// <summary>What was done about one reported token.</summary>
public static class LeakActions
{
    public const string Revoked = "revoked";
    public const string Suspended = "suspended";
    public const string Alerted = "alerted";
    public const string AlreadyRevoked = "already_revoked";
    public const string AlreadySuspended = "already_suspended";

    /// <summary>A real token of ours that no longer works (its key expired, or it is a rotated-away secret past its grace).</summary>
    public const string Inactive = "inactive";

    /// <summary>Not one of our live tokens: nothing to do.</summary>
    public const string None = "none";
}

/// <summary>
/// A secret-scanning service reported a token (found at <paramref name="Url"/>): its fingerprint (SHA-256, never the
/// token), the key it is (only when the token is that key's real secret), the label answered and what was done, by the
/// app's policy at that moment. Stream: <c>leak:&lt;leak id&gt;</c> (<see cref="LeakReport.StreamId"/>), so a report delivered
/// again is recognised and changes nothing twice. <paramref name="Reporter"/>: the signature that vouched for it (the
/// public key's id, or the shared secret).
/// </summary>
public sealed record LeakReported(
    string LeakId, string TokenFingerprint, string TokenType, string? Url, string? Source, string Label, string? KeyId, string? App,
    string Action, string Reporter, string ReportedBy, DateTimeOffset ReportedAt);
