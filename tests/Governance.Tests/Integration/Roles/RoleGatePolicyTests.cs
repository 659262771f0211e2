using Governance.Api.Infrastructure;
using JasperFx.CodeGeneration;
using Microsoft.AspNetCore.Authorization;
using Wolverine.Http;

namespace Governance.Tests.Integration.Roles;

public sealed class RoleGatePolicyTests
{
    [Fact]
    public void a_role_name_that_does_not_exist_stops_the_start_up()
    {
        var chain = HttpChain.ChainFor(typeof(TypoEndpoint), nameof(TypoEndpoint.Get));

        var refused = Assert.Throws<InvalidOperationException>(() => new RoleGatePolicy().Apply([chain], new GenerationRules(), null!));

        Assert.Contains("'auditors'", refused.Message);
    }

    // Not public, so no host discovers it.
    internal static class TypoEndpoint
    {
        [WolverineGet("/api/test-probes/typo")]
        [Authorize(Roles = "admin,auditors")]
        public static string Get() => "typo";
    }
}
