using Governance.Projections.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;

namespace Governance.Tests.Integration;

[Collection(GovernanceCollection.Name)]
public sealed class when_checking_health_and_docs(GovernanceFixture fx)
{
    [Fact]
    public async Task both_services_are_healthy_when_the_database_answers()
    {
        await fx.Api.Get("/health", 200, token: null);
        var proxy = await fx.ProxyClient().GetAsync("/health");
        Assert.Equal(200, (int)proxy.StatusCode);
    }

    [Fact]
    public async Task health_is_503_when_the_database_is_unreachable()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        await using var app = builder.Build();
        app.MapDatabaseHealth("Host=127.0.0.1;Port=9;Database=none;Username=none;Password=none;Timeout=2");
        await app.StartAsync();

        var response = await app.GetTestClient().GetAsync("/health");
        Assert.Equal(503, (int)response.StatusCode);
    }

    [Fact]
    public async Task the_openapi_document_describes_the_key_endpoints()
    {
        var document = await (await fx.Api.Get("/openapi/v1.json", token: null)).ReadAsTextAsync();
        Assert.Contains("/api/keys/{id}/revoke", document);
        Assert.Contains("/api/authorize", document);
    }
}
