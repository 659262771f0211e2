using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Governance.Domain.Usage;
using Governance.Tests.Integration.Proxy;
using Microsoft.AspNetCore.Hosting;

namespace Governance.Tests.Integration.Secrets;

/// <summary>
/// SSRF: an admin (or a stolen admin token) registers a URL that makes the gateway call the cloud metadata service or a
/// private address. Refused at registration, and again on every connection the proxy makes.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_an_admin_aims_the_gateway_at_internal_addresses(GovernanceFixture fx)
{
    [Theory]
    [InlineData("http://169.254.169.254/latest")]
    [InlineData("http://[fd00:ec2::254]/latest")]
    [InlineData("http://metadata.google.internal/computeMetadata/v1")]
    [InlineData("http://100.100.100.200/latest/meta-data")]
    [InlineData("http://[::ffff:169.254.169.254]/latest")]
    public async Task a_provider_at_a_cloud_metadata_address_is_refused_naming_baseUrl(string baseUrl)
    {
        var name = Api.Unique("prov");

        var problem = await fx.Api.Post("/api/providers", new { name, kind = "openai", baseUrl, apiKey = "sk-x" }, 400).Json();

        Assert.Contains("never calls", problem.GetProperty("errors").GetProperty("baseUrl")[0].GetString());
        Assert.DoesNotContain(name, await (await fx.Api.Get("/api/providers")).ReadAsTextAsync());
    }

    [Fact]
    public async Task a_webhook_at_the_metadata_address_is_refused_naming_url()
    {
        var problem = await fx.Api.Scenario(s =>
        {
            s.Put.Json(new { url = "http://169.254.169.254/latest/meta-data/iam/security-credentials/", secret = new string('s', 32) })
                .ToUrl($"/api/apps/{Api.Unique("app")}/webhook");
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
            s.StatusCodeShouldBe(400);
        }).Json();

        Assert.True(problem.GetProperty("errors").TryGetProperty("url", out _), problem.ToString());
    }

    [Fact]
    public async Task a_litellm_api_base_at_the_metadata_address_is_refused_naming_the_entry()
    {
        var yaml = $"model_list:\n  - model_name: {Api.Unique("m")}\n    litellm_params:\n      model: hosted_vllm/llama\n"
            + "      api_base: http://169.254.169.254/latest\n      api_key: literal-token\n";
        using var client = fx.Api.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", GovernanceFixture.AdminToken);

        using var response = await client.PostAsync("/api/migrations/litellm?apply=true", new StringContent(yaml, Encoding.UTF8, "application/yaml"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.Contains("line 5", errors.GetProperty("model_list[0].litellm_params.api_base")[0].GetString());
    }

    [Fact]
    public async Task a_proxy_that_may_not_call_private_addresses_refuses_at_connection_time()
    {
        // Registered through an API node that allows private addresses; the adapter does not, and checks when it connects.
        var upstreamModel = Api.Unique("private");
        var model = await fx.ProviderAndModel(upstreamModel: upstreamModel);
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await using var adapter = await fx.StartProxyAsync(Api.Unique("edge"), configure: web => web.UseSetting("Outbound:AllowPrivateNetworks", "false"));
        using var client = adapter.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Key);

        using var response = await client.PostAsync("/v1/chat/completions", Routing.JsonBody(Routing.ChatJson(model, "hello")));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.DoesNotContain(fx.Upstream.Requests, r => r.Model == upstreamModel);
        var recorded = await fx.RecordedEventually(response.RequestId());
        Assert.All(recorded.FailedAttempts, a => Assert.Equal(AttemptFailures.AddressRefused, a.Reason));
        Assert.NotEmpty(recorded.FailedAttempts);
    }
}
