using System.Diagnostics.Metrics;
using System.Text.Json;
using Governance.Hosting;
using Governance.Projections.Hosting;
using Marten;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Wolverine.Runtime;

namespace Governance.Tests.Integration;

[Collection(GovernanceCollection.Name)]
public sealed class when_checking_health_and_docs(GovernanceFixture fx)
{
    private const string Unreachable = "Host=127.0.0.1;Port=9;Database=none;Username=none;Password=none;Timeout=2";

    [Fact]
    public async Task the_api_is_healthy_when_the_database_answers_and_the_proxy_when_it_could_admit_a_call()
    {
        await fx.Api.Get("/health", 200, token: null);
        var proxy = await fx.ProxyClient().GetAsync("/health");
        Assert.Equal(200, (int)proxy.StatusCode);
    }

    [Fact]
    public async Task health_checks_borrow_connections_from_the_one_pool_the_api_has()
    {
        // A node of its own, whose connections PostgreSQL and Npgsql know by a name no other node has.
        var name = Api.Unique("one-pool");
        await using var api = await AlbaHost.For<Governance.Api.ApiMarker>(web =>
        {
            fx.Configure(web);
            web.UseSetting("ConnectionStrings:Governance", fx.ConnectionString + ";Application Name=" + name);
        });
        var client = api.Server.CreateClient();

        foreach (var path in new[] { "/health", "/health/ready", "/health", "/health/ready" })
            Assert.Equal(200, (int)(await client.GetAsync(path)).StatusCode);

        // Npgsql reports each connection pool (data source) it has: the node must have exactly one for its database.
        Assert.Equal(1, NpgsqlPools().Count(pool => pool.Contains(name, StringComparison.Ordinal)));
    }

    /// <summary>The name of every Npgsql connection pool in this process, once per pool.</summary>
    private static List<string> NpgsqlPools()
    {
        List<string> pools = [];
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Npgsql" && instrument.Name == "db.client.connection.max")
                l.EnableMeasurementEvents(instrument);
        };
        void Record(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
                if (tag.Key == "db.client.connection.pool.name")
                    pools.Add(tag.Value?.ToString() ?? "");
        }
        listener.SetMeasurementEventCallback<int>((_, _, tags, _) => Record(tags));
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) => Record(tags));
        listener.Start();
        listener.RecordObservableInstruments();
        return pools;
    }

    [Fact]
    public async Task health_is_503_when_the_database_is_unreachable()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddMarten(opts => opts.Connection(Unreachable));
        await using var app = builder.Build();
        app.MapDatabaseHealth();
        await app.StartAsync();

        var response = await app.GetTestClient().GetAsync("/health");
        Assert.Equal(503, (int)response.StatusCode);
    }

    [Fact]
    public async Task both_services_are_live_and_ready_naming_what_they_checked()
    {
        var api = fx.Api.Server.CreateClient();
        Assert.Equal(200, (int)(await api.GetAsync("/health/live")).StatusCode);
        var apiReady = await Ready(api);
        Assert.Equal("Healthy", apiReady.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
        Assert.Equal("Healthy", apiReady.GetProperty("checks").GetProperty("projection_daemon").GetProperty("status").GetString());

        var proxy = fx.ProxyClient();
        Assert.Equal(200, (int)(await proxy.GetAsync("/health/live")).StatusCode);
        var proxyReady = await Ready(proxy);
        Assert.Equal("Healthy", proxyReady.GetProperty("checks").GetProperty("feed").GetProperty("status").GetString());
        Assert.Equal("Healthy", proxyReady.GetProperty("checks").GetProperty("journal").GetProperty("status").GetString());
        // The proxy talks to the governance API only: it has no database to check.
        Assert.False(proxyReady.GetProperty("checks").TryGetProperty("database", out _));
    }

    [Fact]
    public async Task a_proxy_needs_no_database_even_when_a_connection_string_points_nowhere()
    {
        await using var proxy = await fx.StartProxyAsync(Api.Unique("nodb"), configure: web =>
            web.UseSetting("ConnectionStrings:Governance", Unreachable));
        var client = proxy.Server.CreateClient();

        Assert.Equal(200, (int)(await client.GetAsync("/health")).StatusCode);
        var ready = await Ready(client);
        Assert.Equal("Healthy", ready.GetProperty("checks").GetProperty("feed").GetProperty("status").GetString());
        Assert.Null(proxy.Services.GetService<IDocumentStore>());
        Assert.Null(proxy.Services.GetService<IWolverineRuntime>());
    }

    [Fact]
    public async Task a_node_whose_database_is_unreachable_is_live_but_not_ready()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddMarten(opts => opts.Connection(Unreachable));
        builder.Services.AddGovernanceHealthChecks();
        await using var app = builder.Build();
        app.MapGovernanceHealth();
        await app.StartAsync();
        var client = app.GetTestClient();

        Assert.Equal(200, (int)(await client.GetAsync("/health/live")).StatusCode);
        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(503, (int)ready.StatusCode);
        var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Unhealthy", body.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
        Assert.DoesNotContain("Password", body.GetRawText());
    }

    [Fact]
    public async Task a_proxy_that_cannot_reach_the_governance_api_is_not_ready()
    {
        await using var proxy = await AlbaHost.For<ProxyAdapter.ProxyMarker>(web =>
        {
            fx.Configure(web);
            web.UseSetting("Proxy:GovernanceUrl", "http://127.0.0.1:9/");
        });
        var client = proxy.Server.CreateClient();

        Assert.Equal(200, (int)(await client.GetAsync("/health/live")).StatusCode);
        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(503, (int)ready.StatusCode);
        var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Unhealthy", body.GetProperty("checks").GetProperty("feed").GetProperty("status").GetString());
        Assert.Equal(503, (int)(await client.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task the_docs_page_is_an_offline_explorer_of_the_openapi_document()
    {
        var client = fx.Api.Server.CreateClient();
        var page = await client.GetAsync("/docs");
        Assert.Equal(200, (int)page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("/openapi/v1.json", html);
        Assert.Contains("src=\"/docs/explorer.js\"", html);

        var script = await client.GetAsync("/docs/explorer.js");
        Assert.Equal(200, (int)script.StatusCode);
        var js = await script.Content.ReadAsStringAsync();
        Assert.Contains("Authorization", js);
        // Nothing is fetched from elsewhere: the page works without internet.
        foreach (var text in new[] { html, js, await client.GetStringAsync("/docs/explorer.css") })
            Assert.DoesNotContain("http", text.Replace("/openapi/v1.json", ""));
        Assert.Equal(404, (int)(await client.GetAsync("/docs/secrets.txt")).StatusCode);
    }

    private static async Task<JsonElement> Ready(HttpClient client)
    {
        var response = await client.GetAsync("/health/ready");
        Assert.Equal(200, (int)response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    [Fact]
    public async Task the_openapi_document_describes_the_key_endpoints()
    {
        var document = await (await fx.Api.Get("/openapi/v1.json", token: null)).ReadAsTextAsync();
        Assert.Contains("/api/keys/{id}/revoke", document);
        Assert.Contains("/api/authorize", document);
    }
}
