using System.Net;
using Governance.Domain.Usage;
using Governance.Tests.Integration.Proxy;
using Microsoft.AspNetCore.Http;

namespace Governance.Tests.Integration.Secrets;

/// <summary>
/// A provider (or whoever controls its host) answers 307 to another host. Following it would resend the request with
/// Anthropic's <c>x-api-key</c> header to that host: the gateway never follows redirects.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_a_provider_redirects(GovernanceFixture fx)
{
    [Fact]
    public async Task the_redirect_is_not_followed_and_the_provider_key_never_reaches_the_other_host()
    {
        await using var elsewhere = await StandIn.StartAsync(_ => Results.Json(new { type = "message", content = Array.Empty<object>() }));
        await using var provider = await StandIn.StartAsync(http =>
        {
            http.Response.Headers.Location = $"http://localhost:{elsewhere.Port}{http.Request.Path}";
            return Results.StatusCode(307);
        });
        var prov = await fx.Provider(provider.Url + "/v1", kind: "anthropic");
        var model = await fx.Model([new(prov, "claude-redirected")], inputPrice: 3m, outputPrice: 15m);
        var key = await fx.IssueKey(Api.Unique("app"), model);
        using var client = fx.ProxyClient();
        client.DefaultRequestHeaders.Add("x-api-key", key.Key);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");

        using var response = await client.PostAsync("/v1/messages",
            Routing.JsonBody($$"""{"model":"{{model}}","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}"""));

        // The proxy has answered, so a followed redirect would already have arrived.
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("sk-provider-" + prov, Assert.Single(provider.Requests).Headers["x-api-key"]);
        Assert.Empty(elsewhere.Requests);
        var recorded = await fx.RecordedEventually(response.RequestId());
        Assert.Equal((307, AttemptFailures.Redirected), (Assert.Single(recorded.FailedAttempts).Status, recorded.FailedAttempts[0].Reason));
    }
}
