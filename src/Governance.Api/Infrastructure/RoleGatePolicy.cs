using System.Reflection;
using Governance.Domain.Operators;
using JasperFx;
using JasperFx.CodeGeneration;
using Microsoft.AspNetCore.Authorization;
using Wolverine.Http;

namespace Governance.Api.Infrastructure;

/// <summary>
/// Fails closed: a Wolverine endpoint that names no roles (<see cref="RolesAttribute"/> or
/// <c>[Authorize(Roles = ...)]</c> on its class or method) gets admin-only metadata, so a new endpoint is never open
/// to every token by omission. A role name that is not one of <see cref="OperatorRoles.All"/> stops the start-up:
/// a typo would otherwise lock everyone but nobody out, silently. An explicit <c>[AllowAnonymous]</c> is respected.
/// </summary>
/// <remarks>
/// ASP.NET Core's FallbackPolicy cannot do this here: it applies only to endpoints without any authorization
/// metadata, and <c>RequireAuthorizeOnAll()</c> gives every Wolverine endpoint some. Attributes are read from the
/// method and class directly because Wolverine copies them into endpoint metadata only when it builds the endpoint.
/// </remarks>
internal sealed class RoleGatePolicy : IHttpPolicy
{
    public static readonly RolesAttribute Default = new(OperatorRoles.Admin);

    public void Apply(IReadOnlyList<HttpChain> chains, GenerationRules rules, IServiceContainer container)
    {
        foreach (var chain in chains)
        {
            var declared = chain.Method.HandlerType.GetCustomAttributes(inherit: true)
                .Concat(chain.Method.Method.GetCustomAttributes(inherit: true))
                .ToList();
            if (declared.OfType<IAllowAnonymous>().Any())
                continue;

            var roles = declared.OfType<IAuthorizeData>()
                .Where(a => !string.IsNullOrWhiteSpace(a.Roles))
                .SelectMany(a => a.Roles!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                .ToList();
            if (roles.FirstOrDefault(r => !OperatorRoles.All.Contains(r)) is { } unknown)
                throw new InvalidOperationException(
                    $"Endpoint {chain.Method.HandlerType.Name}.{chain.Method.Method.Name} admits unknown role '{unknown}'; " +
                    $"roles are: {string.Join(", ", OperatorRoles.All)}.");
            if (roles.Count == 0)
                chain.RequireAuthorization(Default);
        }
    }
}
