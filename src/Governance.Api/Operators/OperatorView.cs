using Governance.Domain.Operators;

namespace Governance.Api.Operators;

/// <summary>What operators see of an operator token. Never the token, never its hash.</summary>
public sealed record OperatorView(
    string Id,
    string Name,
    IReadOnlyList<string> Roles,
    IReadOnlyList<string> Apps,
    string Status,
    DateTimeOffset IssuedAt,
    string IssuedBy,
    DateTimeOffset? RevokedAt,
    string? RevokedBy,
    string? RevokeReason)
{
    /// <summary>An adapter token's identity for leases and the change feed; null for other tokens.</summary>
    public string? AdapterId { get; init; }

    public static OperatorView From(OperatorToken token) => new(
        token.Id, token.Name, token.Roles, token.Apps, token.Revoked ? "revoked" : "active", token.IssuedAt, token.IssuedBy,
        token.RevokedAt, token.RevokedBy, token.RevokeReason) { AdapterId = token.AdapterIdentity };
}
