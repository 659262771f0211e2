using System.Text.Json;
using Alba;
using Governance.Api;
using Governance.Domain.Usage;
using Governance.Tests.Integration.Proxy;

namespace Governance.Tests.Integration.Leases;

/// <summary>
/// An adapter token asking for all it can get: one adapter's lease holds at most its share of a budget
/// (<c>Leases__MaxShare</c>, half by default), grows past it only as its usage draws on it, and one adapter holds at most
/// <c>Leases__MaxOpenPerAdapter</c> open leases. So headroom is left for the other adapters whatever one of them asks.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_an_adapter_hoards_leases(GovernanceFixture fx)
{
    private Task<string> FiveCentModel() => fx.ProviderAndModel(inputPrice: 0m, outputPrice: 50m);

    private static Task SetBudget(IAlbaHost api, string keyId, decimal limit) => api.Put($"/api/budgets/key/{keyId}", new { limit, period = "monthly" }, 200);

    private static async Task<JsonElement> Lease(HttpClient adapter, string adapterId, string keyId, decimal need, decimal? want = null)
    {
        var response = await adapter.PostAsJsonAsync("/api/leases", new { adapterId, keyId, need, want });
        Assert.Equal(200, (int)response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task a_lease_holds_at_most_half_the_budget_however_much_is_wanted_and_the_rest_stays_for_other_adapters()
    {
        var key = await fx.IssueKey(Api.Unique("app"), await FiveCentModel());
        await SetBudget(fx.Api, key.Id, 10.00m);
        await using var hoarder = await SimulatedAdapter.StartAsync(fx, answerRecalls: false);
        await using var other = await SimulatedAdapter.StartAsync(fx, answerRecalls: false);

        var greedy = await Lease(hoarder.Http, hoarder.Id, key.Id, need: 0.05m, want: 1_000_000m);
        var more = await Lease(hoarder.Http, hoarder.Id, key.Id, need: 0.05m, want: 1_000_000m);
        var fair = await Lease(other.Http, other.Id, key.Id, need: 0.05m);

        Assert.Equal(5.00m, greedy.GetProperty("slices")[0].GetProperty("amount").GetDecimal());
        // At its share, the lease waits for its usage to draw on it: nothing is granted, nobody is recalled.
        Assert.Equal(("retry", 0), (more.GetProperty("reason").GetString(), more.GetProperty("recalled").GetArrayLength()));
        Assert.True(fair.GetProperty("granted").GetBoolean(), fair.ToString());
        var budget = await fx.Api.Get($"/api/budgets/key/{key.Id}").Json();
        Assert.Equal(5.50m, budget.GetProperty("leased").GetDecimal());
    }

    [Fact]
    public async Task a_lease_at_its_share_grows_again_once_usage_has_drawn_on_it()
    {
        var model = await FiveCentModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await SetBudget(fx.Api, key.Id, 1.00m);
        await using var adapter = await SimulatedAdapter.StartAsync(fx, answerRecalls: false);
        var full = (await Lease(adapter.Http, adapter.Id, key.Id, need: 0.05m, want: 1.00m)).GetProperty("slices")[0];
        Assert.Equal(0.50m, full.GetProperty("amount").GetDecimal());
        Assert.Equal("retry", (await Lease(adapter.Http, adapter.Id, key.Id, need: 0.05m)).GetProperty("reason").GetString());

        var usage = await adapter.Http.PostAsJsonAsync("/api/usage", new
        {
            requestId = RequestIds.New(), keyId = key.Id, model, inputTokens = 0, cachedTokens = 0, outputTokens = 1000, reasoningTokens = 0,
            latencyMs = 5, status = 200, occurredAt = fx.Clock.GetUtcNow(), leaseIds = new[] { full.GetProperty("leaseId").GetString() }, worstCaseCost = 0.05m,
        });
        Assert.Equal(200, (int)usage.StatusCode);
        var again = await Lease(adapter.Http, adapter.Id, key.Id, need: 0.05m);

        Assert.True(again.GetProperty("granted").GetBoolean(), again.ToString());
        Assert.Equal(0.50m, again.GetProperty("slices")[0].GetProperty("remaining").GetDecimal());
    }

    [Fact]
    public async Task an_adapter_holds_at_most_the_configured_number_of_open_leases_until_some_expire()
    {
        await using var api = await AlbaHost.For<ApiMarker>(web =>
        {
            fx.Configure(web);
            web.UseSetting("Leases:MaxOpenPerAdapter", "2");
        });
        var model = await FiveCentModel();
        var keys = new List<Api.Issued>();
        for (var i = 0; i < 3; i++)
        {
            keys.Add(await fx.IssueKey(Api.Unique("app"), model));
            await SetBudget(api, keys[i].Id, 10.00m);
        }
        await using var adapter = await SimulatedAdapter.StartAsync(fx, answerRecalls: false);
        var client = api.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = adapter.Http.DefaultRequestHeaders.Authorization;

        var first = await Lease(client, adapter.Id, keys[0].Id, need: 0.05m);
        var second = await Lease(client, adapter.Id, keys[1].Id, need: 0.05m);
        var third = await Lease(client, adapter.Id, keys[2].Id, need: 0.05m);
        // Topping up a lease it holds opens none.
        var topUp = await Lease(client, adapter.Id, keys[0].Id, need: 0.05m);
        fx.Clock.Advance(TimeSpan.FromSeconds(61));
        var afterExpiry = await Lease(client, adapter.Id, keys[2].Id, need: 0.05m);

        Assert.True(first.GetProperty("granted").GetBoolean() && second.GetProperty("granted").GetBoolean());
        Assert.Equal((false, "too_many_leases"), (third.GetProperty("granted").GetBoolean(), third.GetProperty("reason").GetString()));
        Assert.True(topUp.GetProperty("granted").GetBoolean(), topUp.ToString());
        Assert.True(afterExpiry.GetProperty("granted").GetBoolean(), afterExpiry.ToString());
    }
}
