using System.Security.Cryptography;
using System.Text;

namespace Governance.Domain.Operators;

/// <summary>
/// Operator roles. Each API endpoint names the roles it admits; an endpoint that names none is admin-only (fail closed).
/// </summary>
public static class OperatorRoles
{
    public const string Admin = "admin";
    public const string Approver = "approver";
    public const string Auditor = "auditor";
    public const string AppOwner = "app-owner";
    public const string Adapter = "adapter";

    public static readonly IReadOnlyList<string> All = [Admin, Approver, Auditor, AppOwner, Adapter];
}

public sealed record OperatorTokenIssued(
    string TokenId, string Name, string Role, string TokenHash, string IssuedBy, DateTimeOffset IssuedAt);

public sealed record OperatorTokenRevoked(string TokenId, string Reason, string RevokedBy, DateTimeOffset RevokedAt);

/// <summary>An operator (human or automation) allowed to call /api. Only the token's SHA-256 is kept.</summary>
public sealed record OperatorToken(string Id, string Name, string Role, string TokenHash, DateTimeOffset IssuedAt)
{
    public const string GeneratedPrefix = "gop_";
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static OperatorToken? Evolve(OperatorToken? state, object @event) => @event switch
    {
        OperatorTokenIssued e => new OperatorToken(e.TokenId, e.Name, e.Role, e.TokenHash, e.IssuedAt),
        _ => state,
    };

    public static string NewToken() => GeneratedPrefix + RandomNumberGenerator.GetString(Base62, 40);

    public static string HashOf(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>
    /// The token id is derived from the hash, so a presented token is found with one key lookup
    /// and the id (used as the actor on events) reveals nothing usable about the token.
    /// </summary>
    public static string IdFor(string token) => "op_" + HashOf(token)[..16];

    public static OperatorTokenIssued Issue(string token, string name, string role, string actor, DateTimeOffset now) =>
        new(IdFor(token), name, role, HashOf(token), actor, now);
}
