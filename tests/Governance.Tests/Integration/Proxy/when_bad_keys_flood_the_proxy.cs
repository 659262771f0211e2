using System.Net;
using System.Text;
using Alba;
using Governance.Domain.Access;
using Governance.Domain.Keys;
using Governance.Store.Audit;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ProxyAdapter.Reporting;

namespace Governance.Tests.Integration.Proxy;

/// <summary>
/// A flood of bad keys costs the history one event per adapter and minute, and an address that keeps presenting bad keys
/// is throttled (docs/gateway.md, "Refusals from the headers").
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_bad_keys_flood_the_proxy(GovernanceFixture fx)
{
    private static readonly IPAddress Attacker = IPAddress.Parse("203.0.113.7"), Neighbour = IPAddress.Parse("203.0.113.8");

    private static async Task ShipRefusals(IAlbaHost proxy) =>
        await proxy.Services.GetServices<IHostedService>().OfType<RefusalShipping>().Single().FlushAsync(all: true);

    private async Task<IReadOnlyList<RefusalsCounted>> Counted(string adapterId)
    {
        await using var session = fx.Store.QuerySession();
        return await session.Events.QueryRawEventDataOnly<RefusalsCounted>().Where(e => e.AdapterId == adapterId).ToListAsync();
    }

    private static Action<HttpRequest> Headers(string? key, string? forwardedFor = null) => request =>
    {
        if (key is not null)
            request.Headers.Authorization = "Bearer " + key;
        if (forwardedFor is not null)
            request.Headers["X-Forwarded-For"] = forwardedFor;
    };

    private static Task<ProxyAnswer> Chat(IAlbaHost proxy, string? key, string json, IPAddress? from = null, string? forwardedFor = null) =>
        proxy.Send("/v1/chat/completions", new WatchedBody(json), Headers(key, forwardedFor), Encoding.UTF8.GetByteCount(json), from);

    [Fact]
    public async Task a_flood_of_bad_keys_is_one_event_with_its_counts_and_no_event_per_attempt()
    {
        var adapterId = Api.Unique("edge");
        await using var proxy = await fx.StartProxyAsync(adapterId);
        var model = await fx.ProviderAndModel();
        var revoked = await fx.IssueKey(Api.Unique("app"), model);
        await fx.Api.Post($"/api/keys/{revoked.Id}/revoke", new { reason = "leaked" }, 200);
        var json = Routing.ChatJson(model, "hi");
        var requestIds = new List<string>();
        async Task Refuse(string? key, int times, int status = 401)
        {
            for (var i = 0; i < times; i++)
            {
                var answer = await Chat(proxy, key, json);
                Assert.Equal(status, answer.Status);
                requestIds.Add(answer.Headers["x-request-id"].ToString());
            }
        }

        await Refuse("gk_not_a_key", 40);
        await Refuse(KeyFormat.NewKey(KeyFormat.NewKeyId()), 30);
        await Refuse(revoked.Key, 20);
        await Refuse(null, 10);
        await ShipRefusals(proxy);

        var counted = Assert.Single(await Counted(adapterId));
        Assert.Equal(
            [new(HeaderRefusals.MalformedKey, null, 40), new(HeaderRefusals.MissingKey, null, 10), new(DenialReasons.Revoked, revoked.Id, 20),
             new(DenialReasons.UnknownKey, null, 30)],
            counted.Counts);
        Assert.Equal(fx.Clock.GetUtcNow().UtcTicks / TimeSpan.TicksPerMinute, counted.Minute.UtcTicks / TimeSpan.TicksPerMinute);
        await using var session = fx.Store.QuerySession();
        Assert.Empty(await session.Events.QueryAllRawEvents().Where(e => requestIds.Contains(e.StreamKey!)).ToListAsync());
    }

    [Fact]
    public async Task a_refusal_decided_on_the_body_keeps_its_own_event()
    {
        var model = await fx.ProviderAndModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);

        var answer = await fx.Proxy.Chat(key.Key, Routing.ChatJson(await fx.ProviderAndModel(), "hi"));

        Assert.Equal(403, answer.Status);
        await using var session = fx.Store.QuerySession();
        var denied = Assert.IsType<RequestDenied>(Assert.Single(await session.Events.FetchStreamAsync(answer.Headers["x-request-id"].ToString())).Data);
        Assert.Equal(DenialReasons.ModelNotAllowed, denied.Reason);
    }

    [Fact]
    public async Task an_address_that_presents_bad_keys_too_often_is_throttled_before_its_key_is_looked_at_and_its_neighbours_are_not()
    {
        await using var proxy = await fx.StartProxyAsync(Api.Unique("edge"), configure: web => web.UseSetting("Auth:MaxFailuresPerMinute", "3"));
        var model = await fx.ProviderAndModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        var json = Routing.ChatJson(model, "hi");

        // A call without a key is no failed authentication: it does not count.
        Assert.Equal(401, (await Chat(proxy, null, json, Attacker)).Status);
        for (var i = 0; i < 3; i++)
            Assert.Equal(401, (await Chat(proxy, "gk_not_a_key", json, Attacker)).Status);

        var body = new WatchedBody(Encoding.UTF8.GetBytes(json), 1 << 20);
        var throttled = await proxy.Send("/v1/chat/completions", body, Headers(key.Key), 1 << 20, Attacker);
        Assert.Equal(429, throttled.Status);
        Assert.Equal(DenialReasons.AuthThrottled, throttled.Code);
        Assert.Equal("rate_limit_exceeded", throttled.Json.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("20", throttled.Headers.RetryAfter.ToString());
        Assert.Equal(0, body.BytesRead);

        Assert.Equal(401, (await Chat(proxy, "gk_not_a_key", json, Neighbour)).Status);
        Assert.Equal(200, (await Chat(proxy, key.Key, json, Neighbour)).Status);
        await ShipRefusals(proxy);
    }

    [Fact]
    public async Task a_forwarded_address_counts_only_when_a_trusted_proxy_forwards_it()
    {
        await using var proxy = await fx.StartProxyAsync(Api.Unique("edge"), configure: web =>
        {
            web.UseSetting("Auth:MaxFailuresPerMinute", "2");
            web.UseSetting("Network:TrustedProxies", "10.0.0.0/24, 10.9.9.9");
        });
        var json = Routing.ChatJson("gpt-4o-mini", "hi");
        var balancer = IPAddress.Parse("10.0.0.5");

        // Behind the trusted balancer each client is counted on its own, also through two trusted hops.
        for (var i = 0; i < 2; i++)
            Assert.Equal(401, (await Chat(proxy, "gk_not_a_key", json, balancer, "198.51.100.1")).Status);
        Assert.Equal(429, (await Chat(proxy, "gk_not_a_key", json, balancer, "198.51.100.1")).Status);
        Assert.Equal(429, (await Chat(proxy, "gk_not_a_key", json, balancer, "198.51.100.1, 10.9.9.9")).Status);
        Assert.Equal(401, (await Chat(proxy, "gk_not_a_key", json, balancer, "198.51.100.2")).Status);

        // From anyone else the header is the sender's invention: the sender is counted, whatever it claims.
        var sender = IPAddress.Parse("192.0.2.9");
        for (var i = 0; i < 2; i++)
            Assert.Equal(401, (await Chat(proxy, "gk_not_a_key", json, sender, $"198.51.100.{10 + i}")).Status);
        Assert.Equal(429, (await Chat(proxy, "gk_not_a_key", json, sender, "198.51.100.99")).Status);
    }

    [Fact]
    public async Task with_no_trusted_proxy_a_forwarded_header_is_ignored_even_from_loopback()
    {
        await using var proxy = await fx.StartProxyAsync(Api.Unique("edge"), configure: web => web.UseSetting("Auth:MaxFailuresPerMinute", "2"));
        var json = Routing.ChatJson("gpt-4o-mini", "hi");

        for (var i = 0; i < 2; i++)
            Assert.Equal(401, (await Chat(proxy, "gk_not_a_key", json, IPAddress.Loopback, $"198.51.100.{i}")).Status);

        Assert.Equal(429, (await Chat(proxy, "gk_not_a_key", json, IPAddress.Loopback, "198.51.100.50")).Status);
    }
}
