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

    /// <summary>Who holds the token (approvals count people).</summary>
    public string Person { get; init; } = "";

    /// <summary>When the token stops working; null: never (the bootstrap admin, older tokens).</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>The token as it stands at <paramref name="now"/>: "active", "expired" or "revoked".</summary>
    public static OperatorView From(OperatorToken token, DateTimeOffset now) => new(
        token.Id, token.Name, token.Roles, token.Apps, token.Revoked ? "revoked" : token.IsExpiredAt(now) ? "expired" : "active", token.IssuedAt,
        token.IssuedBy, token.RevokedAt, token.RevokedBy, token.RevokeReason)
    {
        AdapterId = token.AdapterIdentity, Person = token.PersonOrName, ExpiresAt = token.ExpiresAt,
    };
}
