using System.Text.Json;
using Governance.Domain.Catalog;
using Marten;

namespace Governance.Tests.Integration.Proxy;

/// <summary>
/// Model groups: a name a key is granted and a client calls as <c>model</c>, routed to its members by the group's
/// strategy, set by events and readable as of any instant. Stand-in deployments with known prices, delays and rate-limit
/// headers (<see cref="FakeProvider"/>); the assertions are where the calls went and what the request log says.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_model_groups_route_calls(GovernanceFixture fx, FakeProvider provider) : IClassFixture<FakeProvider>
{
    private async Task<string> Group(string strategy, params string[] members)
    {
        var name = Api.Unique("group");
        await fx.Api.Put($"/api/model-groups/{name}", new { members, strategy }, 200);
        return name;
    }

    private async Task<HttpResponseMessage> Chat(string key, string model)
    {
        var response = await fx.ProxyClient(key).PostAsync("/v1/chat/completions", Routing.JsonBody(Routing.ChatJson(model, "hi")));
        Assert.Equal(200, (int)response.StatusCode);
        return response;
    }

    [Fact]
    public async Task cost_based_sends_every_call_to_the_cheapest_member_charges_its_price_and_logs_why()
    {
        var prov = await fx.Provider(provider.BaseUrl);
        var large = await fx.Model([new(prov, Api.Unique("large"))], inputPrice: 0.13m, outputPrice: 0m);
        var small = await fx.Model([new(prov, Api.Unique("small"))], inputPrice: 0.02m, outputPrice: 0m);
        var ada = await fx.Model([new(prov, Api.Unique("ada"))], inputPrice: 0.10m, outputPrice: 0m);
        var group = await Group(RoutingStrategies.CostBased, large, small, ada);
        var key = await fx.IssueKey(Api.Unique("app"), group);

        var calls = new List<HttpResponseMessage>();
        for (var i = 0; i < 3; i++)
            calls.Add(await Chat(key.Key, group));

        foreach (var call in calls)
        {
            var logged = (await fx.Recorded(call.RequestId()))!;
            Assert.Equal(small, logged.Model);
            Assert.Equal(group, logged.RequestedModel);
            // "hi" is 2 prompt tokens at the small model's $0.02 per 1M.
            Assert.Equal(2 * 0.02m / 1_000_000, logged.Cost);
            Assert.Equal("cost-based", logged.Routing!.Strategy);
            Assert.Equal(logged.Deployment, logged.Routing.Chosen);
            Assert.Equal($"cheapest of 3: $0.02 in + $0 out per 1M ({small}'s price)", logged.Routing.Reason);
        }
        // The request log API shows it too.
        var page = await fx.Api.Get($"/api/requests?key={key.Id}").Json();
        var routing = page.GetProperty("items")[0].GetProperty("routing");
        Assert.Equal("cost-based", routing.GetProperty("strategy").GetString());
    }

    [Fact]
    public async Task cost_based_prefers_a_deployment_the_operator_priced_below_its_models_price()
    {
        var (list, negotiated) = (await fx.Provider(provider.BaseUrl), await fx.Provider(provider.BaseUrl));
        var model = await fx.Model([new(list, Api.Unique("gpt"))], inputPrice: 2.5m, outputPrice: 10m);
        var cheaper = Api.Unique("gpt");
        await fx.Api.Put($"/api/models/{model}/deployments", new
        {
            deployments = new object[]
            {
                new { provider = list, upstreamModel = Api.Unique("gpt") },
                new { provider = negotiated, upstreamModel = cheaper, inputPricePer1M = 2m, outputPricePer1M = 8m },
            },
        }, 200);
        var group = await Group(RoutingStrategies.CostBased, model);
        var key = await fx.IssueKey(Api.Unique("app"), group);

        for (var i = 0; i < 3; i++)
        {
            var logged = (await fx.Recorded((await Chat(key.Key, group)).RequestId()))!;
            Assert.Equal($"{negotiated}/{cheaper}", logged.Deployment);
            Assert.Contains("(deployment price)", logged.Routing!.Reason);
            // The charge is the model's price: 2 tokens in, 7 out at $2.5 / $10 per 1M.
            Assert.Equal((2 * 2.5m + 7 * 10m) / 1_000_000, logged.Cost);
        }
        Assert.Equal(3, provider.CallsTo(cheaper));
    }

    [Fact]
    public async Task usage_based_moves_calls_to_the_account_whose_headers_report_the_most_headroom()
    {
        var (tight, roomy) = (await fx.Provider(provider.BaseUrl), await fx.Provider(provider.BaseUrl));
        var (tightModel, roomyModel) = (Api.Unique("ratelimit-5-of-100"), Api.Unique("ratelimit-80-of-100"));
        var model = await fx.Model([new(tight, tightModel), new(roomy, roomyModel)]);
        var group = await Group(RoutingStrategies.UsageBased, model);
        var key = await fx.IssueKey(Api.Unique("app"), group);

        // Until both accounts answered, neither has a reading and both count as full: the spread is random.
        for (var i = 0; i < 30 && (provider.CallsTo(tightModel) == 0 || provider.CallsTo(roomyModel) == 0); i++)
            await Chat(key.Key, group);
        Assert.True(provider.CallsTo(tightModel) > 0 && provider.CallsTo(roomyModel) > 0, "both deployments were called");

        var before = provider.CallsTo(roomyModel);
        for (var i = 0; i < 5; i++)
        {
            var logged = (await fx.Recorded((await Chat(key.Key, group)).RequestId()))!;
            Assert.Equal($"most rate-limit headroom: 80 % of {roomy}'s limit left", logged.Routing!.Reason);
        }
        Assert.Equal(before + 5, provider.CallsTo(roomyModel));
    }

    [Fact]
    public async Task latency_based_prefers_the_deployment_that_answers_sooner_once_both_were_timed()
    {
        var (slow, fast) = (await fx.Provider(provider.BaseUrl), await fx.Provider(provider.BaseUrl));
        var (slowModel, fastModel) = (Api.Unique("slow-700"), Api.Unique("quick"));
        var model = await fx.Model([new(slow, slowModel), new(fast, fastModel)]);
        var group = await Group(RoutingStrategies.LatencyBased, model);
        var key = await fx.IssueKey(Api.Unique("app"), group);

        // An untimed deployment goes first, so the first two calls time one each.
        await Chat(key.Key, group);
        await Chat(key.Key, group);
        Assert.Equal(1, provider.CallsTo(slowModel));
        Assert.Equal(1, provider.CallsTo(fastModel));

        for (var i = 0; i < 3; i++)
        {
            var logged = (await fx.Recorded((await Chat(key.Key, group)).RequestId()))!;
            Assert.Equal($"{fast}/{fastModel}", logged.Deployment);
            Assert.StartsWith("fastest to first byte of 2: EWMA", logged.Routing!.Reason);
        }
    }

    [Fact]
    public async Task least_busy_sends_a_call_away_from_the_deployment_still_streaming_one()
    {
        var (a, b) = (await fx.Provider(provider.BaseUrl), await fx.Provider(provider.BaseUrl));
        var (aModel, bModel) = (Api.Unique("gated-a"), Api.Unique("gated-b"));
        var model = await fx.Model([new(a, aModel), new(b, bModel)]);
        var group = await Group(RoutingStrategies.LeastBusy, model);
        var key = await fx.IssueKey(Api.Unique("app"), group);

        // A stream held open by the provider after its first chunk: one call in flight on its deployment.
        var client = fx.ProxyClient(key.Key);
        using var streaming = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Routing.JsonBody(Routing.ChatJson(group, "hi", stream: true)) };
        using var open = await client.SendAsync(streaming, HttpCompletionOption.ResponseHeadersRead);
        var busy = provider.CallsTo(aModel) == 1 ? aModel : bModel;
        var idle = busy == aModel ? bModel : aModel;

        // Not streamed, so the gate does not hold it.
        var logged = (await fx.Recorded((await Chat(key.Key, group)).RequestId()))!;
        Assert.EndsWith("/" + idle, logged.Deployment);
        Assert.Equal("least-busy", logged.Routing!.Strategy);
        Assert.StartsWith("fewest calls in flight on this adapter: 0", logged.Routing.Reason);

        provider.GateFor(busy).Release();
        await open.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task a_key_not_granted_the_group_is_refused_and_one_granted_the_group_needs_no_grant_of_its_members()
    {
        var prov = await fx.Provider(provider.BaseUrl);
        var member = await fx.Model([new(prov, Api.Unique("gpt"))]);
        var group = await Group(RoutingStrategies.Weighted, member);
        var memberOnly = await fx.IssueKey(Api.Unique("app"), member);
        var groupOnly = await fx.IssueKey(Api.Unique("app"), group);

        var refused = await fx.ProxyClient(memberOnly.Key).PostAsync("/v1/chat/completions", Routing.JsonBody(Routing.ChatJson(group, "hi")));
        Assert.Equal(403, (int)refused.StatusCode);
        Assert.Equal("model_not_allowed", (await refused.Json()).GetProperty("error").GetProperty("code").GetString());

        var logged = (await fx.Recorded((await Chat(groupOnly.Key, group)).RequestId()))!;
        Assert.Equal(member, logged.Model);
        Assert.Equal(new("weighted", $"{prov}/{logged.Deployment!.Split('/')[1]}", "weighted random: weight 1 of 1"), logged.Routing);
        var direct = await fx.ProxyClient(groupOnly.Key).PostAsync("/v1/chat/completions", Routing.JsonBody(Routing.ChatJson(member, "hi")));
        Assert.Equal(403, (int)direct.StatusCode);
    }

    [Fact]
    public async Task a_group_never_routes_to_a_restricted_member_however_cheap()
    {
        var prov = await fx.Provider(provider.BaseUrl);
        var restricted = await fx.Model([new(prov, Api.Unique("cheap"))], inputPrice: 0.01m, outputPrice: 0m);
        var open = await fx.Model([new(prov, Api.Unique("dear"))], inputPrice: 1m, outputPrice: 1m);
        await fx.Api.Put($"/api/models/{restricted}/policy", new { restricted = true, approvalsRequired = 1, maxGrantDays = 7 }, 200);
        var group = await Group(RoutingStrategies.CostBased, restricted, open);
        var key = await fx.IssueKey(Api.Unique("app"), group);

        for (var i = 0; i < 3; i++)
            Assert.Equal(open, (await fx.Recorded((await Chat(key.Key, group)).RequestId()))!.Model);
    }

    [Fact]
    public async Task a_strategy_change_is_an_event_and_the_group_reads_as_it_was_at_any_instant()
    {
        var prov = await fx.Provider(provider.BaseUrl);
        var (a, b) = (await fx.Model([new(prov, Api.Unique("a"))]), await fx.Model([new(prov, Api.Unique("b"))]));
        var group = await Group(RoutingStrategies.Weighted, a, b);
        var before = fx.Clock.GetUtcNow();
        fx.Clock.Advance(TimeSpan.FromMinutes(5));
        var changed = await fx.Api.Put($"/api/model-groups/{group}", new { members = new[] { b, a }, strategy = "cost-based" }, 200).Json();
        // The same again writes nothing.
        await fx.Api.Put($"/api/model-groups/{group}", new { members = new[] { b, a }, strategy = "cost-based" }, 200);

        Assert.Equal("cost-based", changed.GetProperty("strategy").GetString());
        var then = await fx.Api.Get($"/api/model-groups/{group}?asOf={Uri.EscapeDataString(before.ToString("O"))}").Json();
        Assert.Equal("weighted", then.GetProperty("strategy").GetString());
        Assert.Equal([a, b], then.GetProperty("members").EnumerateArray().Select(m => m.GetString()));
        var now = await fx.Api.Get($"/api/model-groups/{group}").Json();
        Assert.Equal("cost-based", now.GetProperty("strategy").GetString());
        Assert.Equal([b, a], now.GetProperty("members").EnumerateArray().Select(m => m.GetString()));
        await fx.Api.Get($"/api/model-groups/{group}?asOf={Uri.EscapeDataString(before.AddMinutes(-1).ToString("O"))}", 404);

        await using var session = fx.Store.QuerySession();
        var events = await session.Events.FetchStreamAsync(group);
        Assert.Equal(["model_group_set", "model_group_set"], events.Select(e => e.EventTypeName));
    }

    [Theory]
    [InlineData("""{"members":["M"],"strategy":"fastest"}""", "strategy")]
    [InlineData("""{"members":["M"]}""", "strategy")]
    [InlineData("""{"members":[],"strategy":"weighted"}""", "members")]
    [InlineData("""{"members":["M","M"],"strategy":"weighted"}""", "members[1]")]
    [InlineData("""{"members":["M","nobody"],"strategy":"weighted"}""", "members[1]")]
    [InlineData("""{"members":["M","CLAUDE"],"strategy":"weighted"}""", "members[1]")]
    [InlineData("""{"members":["M","GROUP"],"strategy":"weighted"}""", "members[1]")]
    public async Task a_bad_group_is_refused_naming_the_field(string json, string field)
    {
        var member = await fx.Model([new(await fx.Provider(provider.BaseUrl), Api.Unique("gpt"))]);
        var claude = await fx.Model([new(await fx.Provider(provider.BaseUrl, "anthropic"), Api.Unique("claude"))]);
        var other = await Group(RoutingStrategies.Weighted, member);
        var body = JsonDocument.Parse(json.Replace("\"M\"", $"\"{member}\"").Replace("CLAUDE", claude).Replace("GROUP", other)).RootElement;

        var problem = await fx.Api.Put($"/api/model-groups/{Api.Unique("group")}", body, 400).Json();

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task a_group_cannot_take_a_models_name_nor_a_model_a_groups()
    {
        var member = await fx.Model([new(await fx.Provider(provider.BaseUrl), Api.Unique("gpt"))]);
        var group = await Group(RoutingStrategies.Weighted, member);

        var taken = await fx.Api.Put($"/api/model-groups/{member}", new { members = new[] { member }, strategy = "weighted" }, 400).Json();
        Assert.True(taken.GetProperty("errors").TryGetProperty("name", out _));
        await fx.Api.Put($"/api/models/{group}/deployments", new { deployments = new[] { new { provider = "x", upstreamModel = "y" } } }, 400);
    }
}
