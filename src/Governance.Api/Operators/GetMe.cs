using System.Security.Claims;
using Governance.Api.Infrastructure;
using Governance.Domain.Operators;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Operators;

/// <summary>Who the caller's token is: what a client (the dashboard) shows and offers follows its roles and apps.</summary>
public sealed record Me(string Id, string Name, IReadOnlyList<string> Roles, IReadOnlyList<string> Apps)
{
    public string? Person { get; init; }

    /// <summary>When this token stops working (null: never), so a client can warn before it does.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}

[Roles(OperatorRoles.Admin, OperatorRoles.Approver, OperatorRoles.Auditor, OperatorRoles.AppOwner, OperatorRoles.Adapter, OperatorRoles.Responder)]
public static class GetMeEndpoint
{
    [WolverineGet("/api/me")]
    public static async Task<Me> Get(ClaimsPrincipal user, IQuerySession session, CancellationToken ct)
    {
        var id = user.Actor();
        // The token was just authenticated from this document; only its name is not among the claims.
        var token = await session.LoadAsync<OperatorToken>(id, ct);
        return new Me(id, token?.Name ?? id, user.Roles(), user.Apps()) { Person = token?.PersonOrName, ExpiresAt = token?.ExpiresAt };
    }
}
