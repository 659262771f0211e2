namespace Governance.Domain.Operators;

/// <summary>Pure decisions for operator tokens: issuing and revoking. No-ops return no events.</summary>
public static class OperatorDecider
{
    /// <summary>How long a token lives when its issuer names no expiry.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromDays(90);

    /// <summary>The longest a token may live: a leaked token stops working within this, whatever its issuer chose.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(365);

    /// <summary>
    /// Roles must be known; apps scope the app-owner role, so they are required with it and refused without it
    /// (a list that grants nothing would only mislead whoever reads the token later). Duplicates are dropped.
    /// Every token expires: at <paramref name="expiresAt"/> (after now, within <see cref="MaxLifetime"/>), by default after
    /// <see cref="DefaultLifetime"/>. <paramref name="person"/> (default: the name) is who holds it.
    /// </summary>
    public static OperatorTokenIssued Issue(
        string token, string name, IReadOnlyList<string> roles, IReadOnlyList<string>? apps, string actor, DateTimeOffset now, string? adapterId = null,
        string? person = null, DateTimeOffset? expiresAt = null)
    {
        if (expiresAt <= now || expiresAt > now + MaxLifetime)
            throw new DomainException("expiry_out_of_range",
                $"'expiresAt' must be after now and at most {MaxLifetime.TotalDays:0} days ahead (default: {DefaultLifetime.TotalDays:0} days).",
                DomainErrorKind.Unprocessable) { Field = "expiresAt" };
        var distinctRoles = roles.Distinct(StringComparer.Ordinal).ToArray();
        var distinctApps = (apps ?? []).Distinct(StringComparer.Ordinal).ToArray();
        if (distinctRoles.Length == 0)
            throw new DomainException("roles_required", "An operator needs at least one role.", DomainErrorKind.Unprocessable);
        if (distinctRoles.FirstOrDefault(r => !OperatorRoles.All.Contains(r)) is { } unknown)
            throw new DomainException("unknown_role", $"Unknown role '{unknown}'.", DomainErrorKind.Unprocessable);
        var appOwner = distinctRoles.Contains(OperatorRoles.AppOwner);
        if (appOwner && distinctApps.Length == 0)
            throw new DomainException("apps_required", "The app-owner role needs the apps it owns.", DomainErrorKind.Unprocessable);
        if (!appOwner && distinctApps.Length > 0)
            throw new DomainException("apps_without_app_owner", "Apps scope the app-owner role only.", DomainErrorKind.Unprocessable);

        if (adapterId is not null && !distinctRoles.Contains(OperatorRoles.Adapter))
            throw new DomainException("adapter_id_without_adapter", "An adapter id names an adapter token only.", DomainErrorKind.Unprocessable);

        return new OperatorTokenIssued(OperatorToken.IdFor(token), name, distinctRoles, distinctApps, OperatorToken.HashOf(token), actor, now)
        {
            AdapterId = adapterId, Person = person ?? name, ExpiresAt = expiresAt ?? now + DefaultLifetime,
        };
    }

    /// <summary>
    /// The bootstrap admin: the one token that never expires, because the deployment's configuration
    /// (GOVERNANCE_ADMIN_TOKEN) holds it and can replace it. Retire it by issuing another admin and revoking it.
    /// </summary>
    public static OperatorTokenIssued IssueBootstrapAdmin(string token, string actor, DateTimeOffset now) =>
        Issue(token, "bootstrap admin", [OperatorRoles.Admin], [], actor, now) with { ExpiresAt = null };

    /// <summary>
    /// Revoking a revoked token changes nothing. The last active admin cannot be revoked (by anyone, itself included),
    /// so the API can never lock everyone out: issue another admin first. That includes the bootstrap admin, which is
    /// otherwise an ordinary admin and can be revoked once another admin exists (it is then not re-created at start-up).
    /// </summary>
    /// <param name="otherActiveAdmins">Active (not revoked, not expired) admins other than <paramref name="target"/>, counted under the caller's lock.</param>
    public static object[] Revoke(OperatorToken target, string reason, int otherActiveAdmins, string actor, DateTimeOffset now)
    {
        if (target.Revoked)
            return [];
        if (target.IsActiveAdminAt(now) && otherActiveAdmins == 0)
            throw new DomainException("last_admin",
                $"Operator {target.Id} is the last active admin; issue another admin token before revoking this one.");
        return [new OperatorTokenRevoked(target.Id, reason, actor, now)];
    }
}
