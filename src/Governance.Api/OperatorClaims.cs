using System.Security.Claims;
using Governance.Api.Infrastructure;
using Governance.Domain.Operators;
using Microsoft.AspNetCore.Authorization;

namespace Governance.Api;

public static class OperatorClaims
{
    /// <summary>The operator token id recorded as the actor on every event this request appends.</summary>
    public static string Actor(this ClaimsPrincipal user) =>
        user.FindFirstValue(OperatorAuthentication.IdClaim) ?? throw new InvalidOperationException("No authenticated operator.");

    /// <summary>The token and the person holding it: approvals separate duties between people.</summary>
    public static OperatorIdentity Identity(this ClaimsPrincipal user) =>
        new(user.Actor(), user.FindFirstValue(OperatorAuthentication.PersonClaim) ?? user.Actor());

    /// <summary>The adapter an adapter token acts as (its issued adapter id, else its token id); null for other tokens.</summary>
    public static string? AdapterId(this ClaimsPrincipal user) => user.FindFirstValue(OperatorAuthentication.AdapterClaim);

    public static IReadOnlyList<string> Roles(this ClaimsPrincipal user) =>
        user.FindAll(OperatorAuthentication.RoleClaim).Select(c => c.Value).ToList();

    /// <summary>The apps the token's app-owner role covers (empty without that role).</summary>
    public static IReadOnlyList<string> Apps(this ClaimsPrincipal user) =>
        user.FindAll(OperatorAuthentication.AppClaim).Select(c => c.Value).ToList();

    /// <summary>
    /// Which apps the caller reaches through an endpoint admitting <paramref name="admittedRoles"/>. Rights are the
    /// union of the token's roles: any admitted role other than app-owner reaches every app; app-owner alone reaches
    /// only its own apps. So a token holding auditor and app-owner of A reads every key, but changes only A's keys
    /// where auditors may not write.
    /// </summary>
    public static AppScope AppScope(this ClaimsPrincipal user, IEnumerable<string> admittedRoles)
    {
        var admitted = admittedRoles.ToHashSet(StringComparer.Ordinal);
        var roles = user.Roles();
        if (roles.Any(r => r != OperatorRoles.AppOwner && admitted.Contains(r)))
            return Api.AppScope.All;
        return roles.Contains(OperatorRoles.AppOwner) && admitted.Contains(OperatorRoles.AppOwner)
            ? new AppScope(user.Apps().ToHashSet(StringComparer.Ordinal))
            : Api.AppScope.None;
    }

    /// <summary>
    /// <see cref="AppScope(ClaimsPrincipal, IEnumerable{string})"/> for the endpoint being served, with the roles its
    /// metadata admits (<see cref="RolesAttribute"/>), so the check in the endpoint's code can't drift from its attribute.
    /// </summary>
    public static AppScope AppScope(this HttpContext context)
    {
        var declared = context.GetEndpoint()?.Metadata.GetOrderedMetadata<IAuthorizeData>()
            .Where(a => !string.IsNullOrWhiteSpace(a.Roles))
            .Select(a => a.Roles!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .ToList();
        if (declared is null or [])
            throw new InvalidOperationException("The endpoint declares no roles; AppScope needs them.");
        // Several role attributes must all be satisfied (ASP.NET Core combines them with AND): the roles admitted
        // are those every one of them names.
        return context.User.AppScope(declared.Aggregate((IEnumerable<string>)declared[0], (all, next) => all.Intersect(next)));
    }
}

/// <summary>The apps an operator may act on through one endpoint: every app, or a set (possibly empty).</summary>
public sealed class AppScope
{
    public static readonly AppScope All = new(null);
    public static readonly AppScope None = new(new HashSet<string>());

    public AppScope(IReadOnlySet<string>? apps) => Apps = apps;

    /// <summary>Null when every app is in scope.</summary>
    public IReadOnlySet<string>? Apps { get; }

    public bool IsLimited => Apps is not null;

    public bool Allows(string app) => Apps is null || Apps.Contains(app);
}
