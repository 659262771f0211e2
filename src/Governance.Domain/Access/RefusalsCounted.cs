using Governance.Domain.Keys;

namespace Governance.Domain.Access;

/// <summary>
/// How many calls one adapter refused from their headers alone in one minute, by reason and, for a key it knows, by key
/// id. Stream: <c>refusals:&lt;adapter&gt;:&lt;minute&gt;:&lt;incarnation&gt;</c> (<see cref="StreamId"/>). These refusals keep
/// no event each: their callers choose how many to send, and their bodies were never read, so there is no model or
/// worst case to explain. Refusals decided on the body (model, grant, rate limit, budget) keep their own
/// <see cref="RequestDenied"/>.
/// </summary>
public sealed record RefusalsCounted(string AdapterId, DateTimeOffset Minute, IReadOnlyList<RefusalCount> Counts, string RecordedBy, DateTimeOffset RecordedAt)
{
    public const string StreamPrefix = "refusals:";

    /// <summary>
    /// One stream per adapter process (<paramref name="incarnation"/>, drawn when it starts) and minute: a process ships
    /// each minute once, so a retried shipment is recognised by its stream, and a restarted process never collides with the
    /// minute its predecessor shipped.
    /// </summary>
    public static string StreamId(string adapterId, DateTimeOffset minute, string incarnation) =>
        $"{StreamPrefix}{adapterId}:{minute.UtcDateTime:yyyy-MM-ddTHH:mm}Z:{incarnation}";
}

/// <summary><paramref name="Count"/> calls refused for <paramref name="Reason"/>; <paramref name="KeyId"/> only when the key is known.</summary>
public sealed record RefusalCount(string Reason, string? KeyId, long Count);

/// <summary>
/// What a refusal decided from the key alone (the proxy's from the headers, <c>POST /api/authorize</c>'s from the key it
/// is asked about) is counted as. The caller is told <c>unknown_key</c> for the first three; the count tells them apart
/// for operators.
/// </summary>
public static class HeaderRefusals
{
    /// <summary>No key was presented.</summary>
    public const string MissingKey = "missing_key";
    /// <summary>Not the shape of one of our keys, or its checksum is wrong: a typo, another service's key, garbage.</summary>
    public const string MalformedKey = "malformed_key";

    /// <summary>Refusals counted with the key id (the key's own secret was presented).</summary>
    public static readonly IReadOnlySet<string> Keyed = new HashSet<string>(StringComparer.Ordinal)
    {
        DenialReasons.Revoked, DenialReasons.Expired, DenialReasons.Rotated, DenialReasons.Suspended,
    };

    /// <summary>Every reason a refusal from the headers is counted under.</summary>
    public static readonly IReadOnlySet<string> Reasons = new HashSet<string>(Keyed, StringComparer.Ordinal)
    {
        MissingKey, MalformedKey, DenialReasons.UnknownKey, DenialReasons.AuthThrottled, DenialReasons.GovernanceUnavailable,
    };

    /// <summary>
    /// Whether <paramref name="decision"/> refused the key itself (<see cref="AccessDecision.Authenticate"/>: unknown,
    /// revoked, expired, rotated, suspended), before anything about the request was looked at. Such refusals are counted,
    /// not recorded one by one: their callers choose how many there are. A refusal about the model, grant or budget is
    /// not.
    /// </summary>
    public static bool DecidedByKeyAlone(AccessDecision decision) =>
        decision is { Allowed: false, Reason: { } reason } && (reason == DenialReasons.UnknownKey || Keyed.Contains(reason));

    /// <summary>
    /// The reason and key id a refusal is counted under. A key id is kept only when the key's own secret was presented
    /// (revoked, expired, rotated, suspended): any other id is the caller's invention, and counting by it would let a
    /// caller grow the count without bound.
    /// </summary>
    public static RefusalCount Classify(string? presentedKey, AccessDecision refusal) => refusal.Reason switch
    {
        _ when presentedKey is null => new(MissingKey, null, 1),
        DenialReasons.UnknownKey when KeyFormat.TryGetKeyId(presentedKey) is null => new(MalformedKey, null, 1),
        { } reason when Keyed.Contains(reason) => new(reason, refusal.KeyId, 1),
        _ => new(refusal.Reason ?? DenialReasons.UnknownKey, null, 1),
    };
}
