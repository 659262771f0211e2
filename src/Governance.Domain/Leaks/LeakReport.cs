using System.Security.Cryptography;
using System.Text;
using Governance.Domain.Keys;
using Governance.Domain.Secrets;

namespace Governance.Domain.Leaks;

/// <summary>The decision about one reported token: the label answered, what was done, and the key's events.</summary>
public sealed record LeakDecision(string Label, string Action, object[] KeyEvents);

/// <summary>Pure decisions about reported tokens: token + the key it names + the app's policy + time in, events out.</summary>
public static class LeakReport
{
    public const string StreamPrefix = "leak:";

    /// <summary>The actor of everything a leak report writes: the report is vouched for by its signature, not an operator.</summary>
    public const string Actor = "system:leak-report";

    /// <summary>
    /// What a report without a valid signature is counted as (<c>refusals_counted</c> of the API node, per minute): no
    /// event each, since its sender chooses how many there are, and nothing in it was read.
    /// </summary>
    public const string SignatureInvalid = "leak_signature_invalid";

    /// <summary>
    /// One report of one token at one place: SHA-256 over the token's fingerprint, type, URL and source. The same token
    /// found somewhere else is another report (and changes nothing the first did not); the same report again is a duplicate.
    /// </summary>
    public static string IdOf(string tokenFingerprint, string type, string? url, string? source) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{tokenFingerprint}\n{type}\n{url}\n{source}")))[..32];

    public static string StreamId(string leakId) => StreamPrefix + leakId;

    /// <summary>
    /// A token is a true positive when it is one of our keys' real secrets: checksum, a key we issued, and its current
    /// secret (or the previous one of a rotation) hashing to what we stored. A live one is handled by
    /// <paramref name="policy"/>; a revoked, expired or superseded one needs nothing. A rotated-away secret still inside
    /// its grace works, so it counts as live and the whole key is acted on (the safe side).
    /// </summary>
    public static LeakDecision Decide(VirtualKey? key, string token, string policy, string reason, string actor, DateTimeOffset now)
    {
        if (key is null || KeyFormat.TryGetKeyId(token) != key.Id)
            return new(LeakLabels.FalsePositive, LeakActions.None, []);
        var current = KeyFormat.Matches(token, key.SecretHash);
        var previous = !current && KeyFormat.Matches(token, key.PreviousSecretHash);
        if (!current && !previous)
            return new(LeakLabels.FalsePositive, LeakActions.None, []);
        if (key.Status == KeyStatus.Revoked)
            return new(LeakLabels.TruePositive, LeakActions.AlreadyRevoked, []);
        if (key.IsExpiredAt(now) || (previous && !(key.PreviousValidUntil > now)))
            return new(LeakLabels.TruePositive, LeakActions.Inactive, []);
        return policy switch
        {
            LeakPolicies.Alert => new(LeakLabels.TruePositive, LeakActions.Alerted, []),
            LeakPolicies.Suspend when key.Status == KeyStatus.Suspended => new(LeakLabels.TruePositive, LeakActions.AlreadySuspended, []),
            LeakPolicies.Suspend => new(LeakLabels.TruePositive, LeakActions.Suspended, VirtualKeyDecider.Suspend(key, reason, actor, now)),
            _ => new(LeakLabels.TruePositive, LeakActions.Revoked, VirtualKeyDecider.Revoke(key, reason, actor, now)),
        };
    }

    /// <summary>
    /// <c>leaked: reported as &lt;type&gt; at &lt;url&gt;</c>, at most <paramref name="max"/> characters: the reason on the key's
    /// revocation or suspension, so its status says where it leaked.
    /// </summary>
    public static string Reason(string type, string? url, int max = 1000)
    {
        var reason = url is null ? $"leaked: reported as {type}" : $"leaked: reported as {type} at {url}";
        return reason.Length <= max ? reason : reason[..(max - 1)] + "…";
    }

    /// <summary>The reporter's URL or source with the token itself taken out, should a reporter have put it there.</summary>
    public static string? WithoutToken(string? text, string token) =>
        text is null || token.Length == 0 ? text : text.Replace(token, "[token]", StringComparison.Ordinal);

    public static string FingerprintOf(string token) => SecretFingerprint.Of(token);
}
