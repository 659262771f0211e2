using System.Net;
using System.Text.Json;
using Governance.Domain.Access;
using Governance.Tests.Integration.Observability;
using Microsoft.Extensions.DependencyInjection;
using ProxyAdapter;
using ProxyAdapter.Governance;
using ProxyAdapter.Reporting;
using Governance.Tests.Integration.Proxy;

namespace Governance.Tests.Integration.Adapter;

/// <summary>
/// What an adapter tells its operator about itself (docs/observability.md): the budget leases it holds and the usage it
/// has not shipped yet on /metrics, and on /health/ready whether its copy of the governance state is current.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_the_adapter_reports_its_state(GovernanceFixture fx)
{
    private static async Task<IReadOnlyList<Sample>> Metrics(AdapterNode node) => Scrape.Parse(await node.Host.ProxyMetricsText());

    private static async Task<(HttpStatusCode Status, string? Feed)> Ready(AdapterNode node)
    {
        using var response = await node.Host.Server.CreateClient().GetAsync("/health/ready");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return (response.StatusCode, body.GetProperty("checks").GetProperty("feed").GetProperty("status").GetString());
    }

    [Fact]
    public async Task the_lease_gauges_show_the_leases_it_holds_and_their_headroom()
    {
        await using var node = await AdapterNode.StartAsync(fx);
        var model = await fx.ProviderAndModel(inputPrice: 0m, outputPrice: 5_000m);
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await fx.Api.Put($"/api/budgets/key/{key.Id}", new { limit = 10m, period = "monthly" }, 200);
        await node.CaughtUpAsync(fx);
        Assert.Equal(0, (await Metrics(node)).Value("gov_proxy_leases", ("scope", "key")));

        Assert.Equal(HttpStatusCode.OK, (await node.ChatAsync(key.Key, model, FakeUpstream.CompletionTokens)).Status);

        var metrics = await Metrics(node);
        Assert.Equal(1, metrics.Value("gov_proxy_leases", ("scope", "key")));
        Assert.Equal(0, metrics.Value("gov_proxy_leases", ("scope", "app")));
        var leased = (await fx.Api.Get($"/api/budgets/key/{key.Id}").Json()).GetProperty("leased").GetDecimal();
        var headroom = metrics.Value("gov_proxy_lease_headroom_usd", ("scope", "key"));
        // The request's $0.035 came out of the lease: what is left to admit against is positive, within what was leased.
        Assert.InRange(headroom, 0.000001, (double)Math.Min(leased, 10m - 0.035m));
        var held = node.Host.Services.GetRequiredService<LeaseWallet>().Holdings().Values.Sum(h => h.Remaining - h.InFlight);
        Assert.Equal((double)held, headroom, 6);
    }

    [Fact]
    public async Task the_usage_buffer_gauges_show_what_waits_to_be_shipped_while_the_api_is_unreachable()
    {
        var outage = new GovernanceOutage();
        await using var node = await AdapterNode.StartAsync(fx, outage);
        await node.CaughtUpAsync(fx);
        Assert.Equal(0, (await Metrics(node)).Value("gov_proxy_usage_buffer_records"));

        outage.Start();
        var journal = node.Host.Services.GetRequiredService<UsageJournal>();
        var actor = node.Host.Services.GetRequiredService<AdapterIdentity>().Actor;
        await journal.AppendAsync(new RequestDenied(Api.RequestId(), null, null, "some-model", DenialReasons.UnknownKey, null, null, null, null,
            actor, fx.Clock.GetUtcNow()), CancellationToken.None);
        fx.Clock.Advance(TimeSpan.FromSeconds(3));

        var metrics = await Metrics(node);
        Assert.Equal(1, metrics.Value("gov_proxy_usage_buffer_records"));
        Assert.True(metrics.Value("gov_proxy_usage_buffer_size_bytes") > 0);
        Assert.Equal(3, metrics.Value("gov_proxy_usage_buffer_oldest_age_seconds"), 3);
    }

    [Fact]
    public async Task it_is_ready_while_its_copy_is_current_and_not_once_the_api_is_silent_beyond_the_staleness_bound()
    {
        var outage = new GovernanceOutage();
        await using var node = await AdapterNode.StartAsync(fx, outage);
        await node.CaughtUpAsync(fx);
        Assert.Equal((HttpStatusCode.OK, "Healthy"), await Ready(node));

        outage.Start();
        fx.Clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "Unhealthy"), await Ready(node));

        // Back in touch: one catch-up read proves the copy current again.
        outage.End();
        Assert.Equal((HttpStatusCode.OK, "Healthy"), await Ready(node));
    }
}
