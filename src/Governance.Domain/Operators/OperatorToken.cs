using System.Security.Cryptography;
using System.Text;

namespace Governance.Domain.Operators;

/// <summary>
/// Operator roles. A token may hold several; its rights are the union of theirs. Each API endpoint names the roles
/// it admits; an endpoint that names none is admin-only (fail closed).
/// </summary>
public static class OperatorRoles
{
    /// <summary>Everything, including issuing and revoking operator tokens.</summary>
    public const string Admin = "admin";

    /// <summary>Signs off access requests; reads the catalog and keys.</summary>
    public const string Approver = "approver";

    /// <summary>Reads everything, changes nothing.</summary>
    public const string Auditor = "auditor";

    /// <summary>Manages the keys of the apps listed on its token, and nothing of other apps.</summary>
    public const string AppOwner = "app-owner";

    /// <summary>A gateway: allow/deny and usage reporting only.</summary>
    public const string Adapter = "adapter";

    /// <summary>
    /// Leak response: revokes and suspends any app's keys and reads a key by id, nothing else (not resuming, not listing,
    /// not issuing). For the token a scanner or an incident runbook holds.
    /// </summary>
    public const string Responder = "responder";

    public static readonly IReadOnlyList<string> All = [Admin, Approver, Auditor, AppOwner, Adapter, Responder];
}

/// <summary>
/// <paramref name="Apps"/> scopes the app-owner role and is empty for a token without it. Persisted as
/// "operator_token_issued".
/// </summary>
public sealed record OperatorTokenIssued(
    string TokenId, string Name, IReadOnlyList<string> Roles, IReadOnlyList<string> Apps, string TokenHash, string IssuedBy,
    DateTimeOffset IssuedAt)
{
    /// <summary>The identity an adapter token acts under (leases, the change feed); null: the token id.</summary>
    public string? AdapterId { get; init; }

    /// <summary>The person the token is for: an approval quorum counts people, not tokens. Null in older events: the name.</summary>
    public string? Person { get; init; }

    /// <summary>From this instant the token is refused. Null: never (the bootstrap admin, and tokens issued before expiry existed).</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}

public sealed record OperatorTokenRevoked(string TokenId, string Reason, string RevokedBy, DateTimeOffset RevokedAt);

/// <summary>Who acts: the operator token's id (the actor on events) and the person holding it (separation of duties).</summary>
public sealed record OperatorIdentity(string Id, string Person);

/// <summary>An operator (human or automation) allowed to call /api. Only the token's SHA-256 is kept.</summary>
public sealed record OperatorToken(
    string Id, string Name, IReadOnlyList<string> Roles, IReadOnlyList<string> Apps, string TokenHash, DateTimeOffset IssuedAt, string IssuedBy)
{
    public const string GeneratedPrefix = "gop_";
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>Stored rather than derived from <see cref="RevokedAt"/> so it can be queried.</summary>
    public bool Revoked { get; init; }

    public DateTimeOffset? RevokedAt { get; init; }

    public string? RevokedBy { get; init; }

    public string? RevokeReason { get; init; }

    public string? Person { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Who holds the token, for separation of duties: its person, or for older tokens its name.</summary>
    public string PersonOrName => Person ?? Name;

    public bool IsExpiredAt(DateTimeOffset now) => ExpiresAt is { } expiry && now >= expiry;

    public bool IsActiveAt(DateTimeOffset now) => !Revoked && !IsExpiredAt(now);

    public bool IsActiveAdminAt(DateTimeOffset now) => IsActiveAt(now) && Roles.Contains(OperatorRoles.Admin);

    /// <summary>Who an adapter token is to leases and the change feed: the adapter id it was issued with, else its token id.</summary>
    public string? AdapterId { get; init; }

    public string? AdapterIdentity => Roles.Contains(OperatorRoles.Adapter) ? AdapterId ?? Id : null;

    public static OperatorToken? Evolve(OperatorToken? state, object @event) => (state, @event) switch
    {
        (null, OperatorTokenIssued e) => new OperatorToken(e.TokenId, e.Name, e.Roles, e.Apps, e.TokenHash, e.IssuedAt, e.IssuedBy)
        {
            AdapterId = e.AdapterId, Person = e.Person, ExpiresAt = e.ExpiresAt,
        },
        (null, _) => null,
        (_, OperatorTokenRevoked e) => state with { Revoked = true, RevokedAt = e.RevokedAt, RevokedBy = e.RevokedBy, RevokeReason = e.Reason },
        _ => state,
    };

    /// <summary>The same person, whatever the letter case (names are checked to have no surrounding whitespace).</summary>
    public static bool SamePerson(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    public static string NewToken() => GeneratedPrefix + RandomNumberGenerator.GetString(Base62, 40);

    public static string HashOf(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>
    /// The token id is derived from the hash, so a presented token is found with one key lookup
    /// and the id (used as the actor on events) reveals nothing usable about the token.
    /// </summary>
    public static string IdFor(string token) => "op_" + HashOf(token)[..16];
}
