using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Governance.Domain.Operators;
using Governance.Tests.Integration.Proxy;
using Microsoft.AspNetCore.Hosting;

namespace Governance.Tests.Integration.Adapter;

/// <summary>
/// A key's rate limits hold for the whole fleet, not per adapter (docs/gateway.md, "Rate limits"): two adapters serving
/// one key admit together what one would, and a parallel slot taken on one adapter is missing on the other until the
/// call ends.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_adapters_share_a_keys_rate_limits(GovernanceFixture fx, FakeProvider provider) : IClassFixture<FakeProvider>
{
    private const int RequestsPerMinute = 20;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private async Task<string> Model(string upstream) => await fx.Model([new(await fx.Provider(provider.BaseUrl), upstream)]);

    private async Task<Api.Issued> Key(string model, object rateLimits)
    {
        var issued = await fx.Api.Post("/api/keys", new { app = Api.Unique("app"), name = "shared", models = new[] { model }, rateLimits }, 201).Json();
        return new Api.Issued(issued.GetProperty("id").GetString()!, issued.GetProperty("key").GetString()!);
    }

    private async Task<int[]> AdmittedBy(AdapterNode a, AdapterNode b, Api.Issued key, string model, int calls)
    {
        await Task.WhenAll(a.CaughtUpAsync(fx), b.CaughtUpAsync(fx));
        var nodes = new[] { a, b };
        var answers = await Task.WhenAll(Enumerable.Range(0, calls).Select(async i => (Node: i % 2, Answer: await nodes[i % 2].ChatAsync(key.Key, model, 5))));
        Assert.All(answers, x => Assert.True(x.Answer.Status == HttpStatusCode.OK || x.Answer.Code == "rate_limited", $"{x.Answer}"));
        return [.. Enumerable.Range(0, 2).Select(n => answers.Count(x => x.Node == n && x.Answer.Status == HttpStatusCode.OK))];
    }

    [Fact]
    public async Task two_adapters_admit_together_exactly_the_keys_requests_per_minute_and_again_in_the_next_minute()
    {
        await using var a = await AdapterNode.StartAsync(fx);
        await using var b = await AdapterNode.StartAsync(fx);
        var model = await Model(Api.Unique("gpt"));
        var key = await Key(model, new { requestsPerMinute = RequestsPerMinute });

        // 30 calls each, all at once, in one 5 s slot (the clock stands still). An adapter asks for more only when its part
        // is used up and is refused only when nothing of the minute is left, so no part is left unused: exactly the limit.
        var admitted = await AdmittedBy(a, b, key, model, 60);
        Assert.Equal(RequestsPerMinute, admitted.Sum());
        Assert.All(admitted, n => Assert.True(n > 0, $"each adapter admits part of the minute: {string.Join(", ", admitted)}"));

        fx.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, (await a.ChatAsync(key.Key, model, 5)).Status);
        Assert.Equal(HttpStatusCode.OK, (await b.ChatAsync(key.Key, model, 5)).Status);
    }

    [Fact]
    public async Task with_sharing_turned_off_each_adapter_admits_the_whole_limit_alone()
    {
        Action<IWebHostBuilder> off = web => web.UseSetting("Proxy:SharedRateLimits", "false");
        await using var a = new AdapterNode(await fx.StartProxyAsync(Api.Unique("edge"), catchUp: false, configure: off));
        await using var b = new AdapterNode(await fx.StartProxyAsync(Api.Unique("edge"), catchUp: false, configure: off));
        var model = await Model(Api.Unique("gpt"));
        var key = await Key(model, new { requestsPerMinute = RequestsPerMinute });

        var admitted = await AdmittedBy(a, b, key, model, 60);
        Assert.Equal(new[] { RequestsPerMinute, RequestsPerMinute }, admitted);
    }

    [Fact]
    public async Task a_call_in_flight_on_one_adapter_takes_the_keys_only_parallel_slot_from_the_other_until_it_ends()
    {
        await using var a = await AdapterNode.StartAsync(fx);
        await using var b = await AdapterNode.StartAsync(fx);
        var upstream = Api.Unique("gated");
        var model = await Model(upstream);
        var key = await Key(model, new { maxParallel = 1 });
        await Task.WhenAll(a.CaughtUpAsync(fx), b.CaughtUpAsync(fx));
        var gate = provider.GateFor(upstream);

        using var client = a.Host.Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Routing.JsonBody(Routing.ChatJson(model, "hi", stream: true)) };
        request.Headers.Authorization = new("Bearer", key.Key);
        using var streaming = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await streaming.Content.ReadAsStreamAsync());
        while (!(await reader.ReadLineAsync().WaitAsync(Patience))!.Contains(FakeProvider.StreamedText[0]))
        {
        }

        var refused = await b.ChatAsync(key.Key, model, 5);
        Assert.Equal((HttpStatusCode.TooManyRequests, "rate_limited"), refused);

        gate.Release();
        Assert.EndsWith("data: [DONE]\n\n", await reader.ReadToEndAsync().WaitAsync(Patience));
        // Adapter A gives the slot back to the API once the call is recorded, a moment after the client has its last event.
        await Wait.For(async () => (await b.ChatAsync(key.Key, model, 5)).Status == HttpStatusCode.OK, "adapter B admitted once A's call ended");
    }

    [Fact]
    public async Task an_adapter_asks_for_rate_allowance_only_as_itself_and_bad_numbers_are_refused_by_name()
    {
        var adapterId = Api.Unique("edge");
        var token = (await fx.Api.Post("/api/operators", new { name = adapterId, roles = new[] { OperatorRoles.Adapter }, adapterId }, 201).Json())
            .GetProperty("token").GetString()!;
        var model = await Model(Api.Unique("gpt"));
        var key = await Key(model, new { requestsPerMinute = 5 });

        await fx.Api.Post("/api/rate-leases", new { adapterId = "someone-else", keyId = key.Id, requests = 1, tokens = 0, parallel = 0 }, 403, token);
        var problem = await fx.Api.Post("/api/rate-leases", new { adapterId, keyId = key.Id, requests = -1, tokens = 0, parallel = 0 }, 400, token).Json();
        Assert.Contains("requests", problem.GetProperty("errors").EnumerateObject().Select(e => e.Name), StringComparer.OrdinalIgnoreCase);

        var granted = await fx.Api.Post("/api/rate-leases", new { adapterId, keyId = key.Id, requests = 1, wantRequests = 100, tokens = 0, parallel = 0 }, 200, token).Json();
        Assert.True(granted.GetProperty("granted").GetBoolean());
        Assert.Equal(5, granted.GetProperty("requests").GetInt64());
        var refused = await fx.Api.Post("/api/rate-leases", new { adapterId, keyId = key.Id, requests = 1, tokens = 0, parallel = 0 }, 200, token).Json();
        Assert.False(refused.GetProperty("granted").GetBoolean());
        Assert.Equal("requests_per_minute", refused.GetProperty("limit").GetString());
        Assert.InRange(refused.GetProperty("retryAfterMs").GetInt32(), 1_000, 60_000);
    }
}
