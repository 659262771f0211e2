using System.Net;
using Alba;

namespace Governance.Tests.Integration;

/// <summary>
/// Failed operator tokens are counted per client address (Auth__MaxFailuresPerMinute, 60 by default): past the limit the
/// address gets 429 with Retry-After before its token is looked up, whatever token it sends; other addresses go on.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_operator_tokens_fail_from_one_address(GovernanceFixture fx)
{
    private Task<IScenarioResult> Me(IPAddress from, string token, int status) => fx.Api.Scenario(s =>
    {
        s.ConfigureHttpContext(c => c.Connection.RemoteIpAddress = from);
        s.Get.Url("/api/me");
        s.WithRequestHeader("Authorization", "Bearer " + token);
        s.StatusCodeShouldBe(status);
    });

    [Fact]
    public async Task an_address_past_the_limit_is_answered_429_with_retry_after_and_others_are_not()
    {
        var attacker = IPAddress.Parse("203.0.113.60");
        for (var i = 0; i < 60; i++)
            await Me(attacker, $"guess-{i}", 401);

        var throttled = await Me(attacker, "guess-60", 429);
        Assert.Equal("1", throttled.Context.Response.Headers.RetryAfter.ToString());
        Assert.Equal("auth_throttled", (await Task.FromResult(throttled).Json()).GetProperty("code").GetString());
        await Me(attacker, GovernanceFixture.AdminToken, 429);

        await Me(IPAddress.Parse("203.0.113.61"), "guess", 401);
        await Me(IPAddress.Parse("203.0.113.61"), GovernanceFixture.AdminToken, 200);
    }
}
