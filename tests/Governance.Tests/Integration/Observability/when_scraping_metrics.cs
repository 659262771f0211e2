using System.Net;
using Governance.Tests.Integration.Proxy;
using Microsoft.AspNetCore.Http;
using ProxyAdapter.Observability;
using Marten;
using Marten.Events;

namespace Governance.Tests.Integration.Observability;

/// <summary>What a Prometheus server scraping /metrics sees of the proxy's and the API's work.</summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_scraping_metrics(GovernanceFixture fx, FakeProvider provider) : IClassFixture<FakeProvider>
{
    private async Task<HttpResponseMessage> Chat(string virtualKey, string model) =>
        await fx.ProxyClient(virtualKey).PostAsync("/v1/chat/completions", Routing.JsonBody(Routing.ChatJson(model, "hi")));

    [Fact]
    public async Task the_proxy_counts_allowed_and_denied_calls_by_reason_and_times_decisions()
    {
        var model = await fx.ProviderAndModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        var before = Scrape.Parse(await fx.Proxy.ProxyMetricsText());

        Assert.Equal(200, (int)(await Chat(key.Key, model)).StatusCode);
        Assert.Equal(401, (int)(await Chat("gk-not-a-key", model)).StatusCode);
        Assert.Equal(403, (int)(await Chat(key.Key, await fx.ProviderAndModel())).StatusCode);

        var after = Scrape.Parse(await fx.Proxy.ProxyMetricsText());
        double Delta(string name, params (string, string)[] labels) => after.Value(name, labels) - before.Value(name, labels);
        Assert.Equal(1, Delta("gov_proxy_decisions_total", ("decision", "allow"), ("reason", "none")));
        Assert.Equal(1, Delta("gov_proxy_decisions_total", ("decision", "deny"), ("reason", "unknown_key")));
        Assert.Equal(1, Delta("gov_proxy_decisions_total", ("decision", "deny"), ("reason", "model_not_allowed")));
        Assert.Equal(3, Delta("gov_proxy_decision_duration_seconds_count"));
        Assert.True(Delta("gov_proxy_decision_duration_seconds_sum") > 0);
        Assert.Equal(1, Delta("gov_proxy_requests_total", ("surface", "chat/completions"), ("status", "200")));
        Assert.Equal(1, Delta("gov_proxy_requests_total", ("surface", "chat/completions"), ("status", "401")));
        // ASP.NET Core's own request series are there too.
        Assert.Contains(after, s => s.Name == "http_server_request_duration_seconds_count" && s.Labels.GetValueOrDefault("http_route") == "/v1/chat/completions");
    }

    [Fact]
    public async Task the_proxy_serves_metrics_on_its_management_listener_only()
    {
        var management = BindingAddress.Parse(ManagementEndpoint.DefaultUrl).Port;

        Assert.Equal(200, (await fx.Proxy.ProxyMetrics(IPAddress.Loopback, management)).Status);
        // The public listener, whatever Host header the caller sends; the management port on another interface is not it either.
        Assert.Equal(404, (await fx.Proxy.ProxyMetrics(IPAddress.Loopback, 4000)).Status);
        Assert.Equal(404, (await fx.Proxy.ProxyMetrics(IPAddress.Parse("192.0.2.10"), 4000, host: $"127.0.0.1:{management}")).Status);
        Assert.Equal(404, (await fx.Proxy.ProxyMetrics(IPAddress.Parse("192.0.2.10"), management)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await fx.ProxyClient().GetAsync("/metrics")).StatusCode);
        // The API's port is not public: its /metrics stays where it was.
        Assert.Equal(HttpStatusCode.OK, (await fx.Api.Server.CreateClient().GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task each_proxy_node_reports_only_its_own_calls()
    {
        await using var other = await fx.StartProxyAsync(Api.Unique("edge"));
        var model = await fx.ProviderAndModel();
        var before = Scrape.Parse(await fx.Proxy.ProxyMetricsText());

        var client = other.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", "gk-not-a-key");
        Assert.Equal(401, (int)(await client.PostAsync("/v1/chat/completions", Routing.JsonBody(Routing.ChatJson(model, "hi")))).StatusCode);

        var ours = Scrape.Parse(await fx.Proxy.ProxyMetricsText());
        var theirs = Scrape.Parse(await other.ProxyMetricsText());
        (string, string)[] unknownKey = [("decision", "deny"), ("reason", "unknown_key")];
        Assert.Equal(1, theirs.Value("gov_proxy_decisions_total", unknownKey));
        Assert.Equal(before.Value("gov_proxy_decisions_total", unknownKey), ours.Value("gov_proxy_decisions_total", unknownKey));
    }

    [Fact]
    public async Task the_proxy_times_each_deployment_and_counts_its_failures_by_reason()
    {
        var (bad, good) = (await fx.Provider(provider.BaseUrl), await fx.Provider(provider.BaseUrl));
        var healthy = Api.Unique("gpt");
        var model = await fx.Model([new(bad, "fail-500"), new(good, healthy, 0)]);
        var key = await fx.IssueKey(Api.Unique("app"), model);

        Assert.Equal(200, (int)(await Chat(key.Key, model)).StatusCode);

        var metrics = Scrape.Parse(await fx.Proxy.ProxyMetricsText());
        Assert.Equal(1, metrics.Value("gov_proxy_upstream_errors_total", ("deployment", $"{bad}/fail-500"), ("reason", "server_error")));
        Assert.Equal(1, metrics.Value("gov_proxy_upstream_duration_seconds_count", ("deployment", $"{bad}/fail-500"), ("outcome", "500")));
        Assert.Equal(1, metrics.Value("gov_proxy_upstream_duration_seconds_count", ("deployment", $"{good}/{healthy}"), ("outcome", "200")));
        Assert.Equal(1, metrics.Value("gov_proxy_upstream_duration_seconds_bucket", ("deployment", $"{good}/{healthy}"), ("le", "+Inf")));
        Assert.Equal(0, metrics.Value("gov_proxy_upstream_errors_total", ("deployment", $"{good}/{healthy}")));
    }

    [Fact]
    public async Task lease_and_buffer_gauges_report_what_their_owners_register()
    {
        var gauges = fx.Proxy.Services.GetRequiredService<ProxyAdapter.Observability.GatewayMetrics>();
        gauges.Leases = () => [new("key", 3, 1.25m), new("app", 1, 10m)];
        gauges.UsageBuffer = () => new(42, 4096, TimeSpan.FromSeconds(1.5));
        try
        {
            var metrics = Scrape.Parse(await fx.Proxy.ProxyMetricsText());
            Assert.Equal(3, metrics.Value("gov_proxy_leases", ("scope", "key")));
            Assert.Equal(10, metrics.Value("gov_proxy_lease_headroom_usd", ("scope", "app")));
            Assert.Equal(42, metrics.Value("gov_proxy_usage_buffer_records"));
            Assert.Equal(4096, metrics.Value("gov_proxy_usage_buffer_size_bytes"));
            Assert.Equal(1.5, metrics.Value("gov_proxy_usage_buffer_oldest_age_seconds"));
        }
        finally
        {
            gauges.Leases = null;
            gauges.UsageBuffer = null;
        }
    }

    [Fact]
    public async Task the_api_reports_each_async_projections_lag_behind_the_high_water_mark()
    {
        var model = await fx.ProviderAndModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        Assert.Equal(200, (int)(await Chat(key.Key, model)).StatusCode);
        await fx.Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));
        var progress = fx.Api.Services.GetRequiredService<Governance.Projections.Hosting.ProjectionLag>();
        var positions = await progress.ReadAsync(CancellationToken.None);

        var metrics = Scrape.Parse(await fx.Api.Server.CreateClient().MetricsText());

        Assert.NotEmpty(positions);
        foreach (var p in positions)
        {
            Assert.Contains(metrics, s => s.Name == "gov_projection_lag_events" && s.Labels.GetValueOrDefault("projection") == p.Projection);
            Assert.Contains(metrics, s => s.Name == "gov_projection_position" && s.Labels.GetValueOrDefault("projection") == p.Projection);
        }
        Assert.True(metrics.Value("gov_events_high_water_mark") > 0);
    }
}
