using Governance.Domain.Operators;
using Microsoft.AspNetCore.Authorization;

namespace Governance.Api.Infrastructure;

/// <summary>
/// The operator roles admitted to an endpoint: any one of them suffices (a token's rights are the union of its
/// roles). Put it on the endpoint class or method, naming <see cref="OperatorRoles"/> constants; admin is not implied.
/// Wolverine copies it into the endpoint's metadata, where ASP.NET Core's authorization middleware reads it (401
/// without a valid token, 403 without one of the roles). An endpoint without it is admin-only: see <see cref="RoleGatePolicy"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class RolesAttribute : AuthorizeAttribute
{
    public RolesAttribute(params string[] roles)
    {
        Admitted = roles;
        Roles = string.Join(',', roles);
    }

    public IReadOnlyList<string> Admitted { get; }
}
