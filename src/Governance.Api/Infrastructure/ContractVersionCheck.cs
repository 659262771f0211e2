using Governance.Contracts;

namespace Governance.Api.Infrastructure;

/// <summary>
/// Every <c>/api</c> call that states a contract version (<see cref="ContractVersion.Header"/>, what adapters send) must
/// state one this API speaks; otherwise 400 <c>contract_version_unsupported</c> naming the versions it speaks, before
/// anything else is read. A call that states none speaks version 1 (operators, scripts, adapters from before the header).
/// </summary>
public static class ContractVersionCheck
{
    public const string Code = "contract_version_unsupported";

    public static IApplicationBuilder UseContractVersionCheck(this IApplicationBuilder app) =>
        app.Use((http, next) =>
        {
            if (!http.Request.Path.StartsWithSegments("/api"))
                return next(http);
            var stated = http.Request.Headers[ContractVersion.Header];
            if (stated.Count <= 1 && ContractVersion.IsSpoken(stated.Count == 0 ? null : stated[0]))
                return next(http);
            var spoken = string.Join(", ", ContractVersion.Spoken);
            var problem = Problems.Create(StatusCodes.Status400BadRequest, "Unsupported contract version.",
                $"This API speaks contract versions {spoken} ({ContractVersion.Header}); the caller stated '{stated}'. Upgrade the adapter to a version " +
                $"built for contract {ContractVersion.Current} (or {ContractVersion.Previous}).", Code);
            problem.Extensions["param"] = ContractVersion.Header;
            problem.Extensions["supported"] = ContractVersion.Spoken;
            return Results.Problem(problem).ExecuteAsync(http);
        });
}
