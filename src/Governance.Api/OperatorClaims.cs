using System.Security.Claims;
using Governance.Api.Infrastructure;

namespace Governance.Api;

public static class OperatorClaims
{
    /// <summary>The operator token id recorded as the actor on every event this request appends.</summary>
    public static string Actor(this ClaimsPrincipal user) =>
        user.FindFirstValue(OperatorAuthentication.IdClaim) ?? throw new InvalidOperationException("No authenticated operator.");
}
