using System.Text.Json;
using Governance.Domain.Budgets;
using Governance.Domain.Operators;
using Governance.Domain.Usage;
using Governance.Tests.Integration.Leases;
using Governance.Tests.Integration.Proxy;
using Marten;

namespace Governance.Tests.Integration.Adapter;

/// <summary>
/// A request admitted under leases is still running when its app moves to another team or its access grant ends. Its
/// usage is charged as it was admitted (to the team and grant whose leases it names), never refused, so its spend is
/// neither lost to the adapter's dead-letter file nor moved to a budget it was not admitted against.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_usage_outlives_its_admission(GovernanceFixture fx)
{
    private Task Put(string url, object body) => fx.Api.Put(url, body, 200);

    private async Task<string> Operator(string role, params string[] apps) =>
        (await fx.Api.Post("/api/operators", new { name = Api.Unique(role), roles = new[] { role }, apps }, 201).Json()).GetProperty("token").GetString()!;

    private static async Task<JsonElement> Lease(SimulatedAdapter adapter, string keyId, string model)
    {
        var response = await adapter.Http.PostAsJsonAsync("/api/leases", new { adapterId = adapter.Id, keyId, model, need = 0.05m, want = 0.10m });
        Assert.Equal(200, (int)response.StatusCode);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(answer.GetProperty("granted").GetBoolean(), answer.ToString());
        return answer;
    }

    private async Task<JsonElement> Report(SimulatedAdapter adapter, string keyId, string model, JsonElement lease)
    {
        var response = await adapter.Http.PostAsJsonAsync("/api/usage", new
        {
            requestId = RequestIds.New(), keyId, model, inputTokens = 0, cachedTokens = 0, outputTokens = 1000, reasoningTokens = 0, latencyMs = 900,
            status = 200, occurredAt = fx.Clock.GetUtcNow(), worstCaseCost = 0.05m,
            leaseIds = lease.GetProperty("slices").EnumerateArray().Select(s => s.GetProperty("leaseId").GetString()).ToArray(),
        });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(200 == (int)response.StatusCode, body.ToString());
        return body;
    }

    [Fact]
    public async Task usage_in_flight_when_its_app_changes_team_is_charged_to_the_team_it_was_admitted_under()
    {
        var model = await fx.ProviderAndModel(inputPrice: 0m, outputPrice: 50m);
        var (app, before, after) = (Api.Unique("app"), Api.Unique("team"), Api.Unique("team"));
        await Put($"/api/apps/{app}", new { team = before });
        await Put($"/api/budgets/team/{before}", new { limit = 1.00m, period = "monthly" });
        await Put($"/api/budgets/team/{after}", new { limit = 1.00m, period = "monthly" });
        var key = await fx.IssueKey(app, model);
        await using var adapter = await SimulatedAdapter.StartAsync(fx, answerRecalls: false);
        var lease = await Lease(adapter, key.Id, model);

        fx.Clock.Advance(TimeSpan.FromSeconds(2));
        await Put($"/api/apps/{app}", new { team = after });
        fx.Clock.Advance(TimeSpan.FromSeconds(2));
        await Report(adapter, key.Id, model, lease);

        var charged = await fx.Api.Get($"/api/budgets/team/{before}").Json();
        Assert.Equal((0.05m, 0.05m), (charged.GetProperty("settled").GetDecimal(), charged.GetProperty("leased").GetDecimal()));
        Assert.Equal(0m, (await fx.Api.Get($"/api/budgets/team/{after}").Json()).GetProperty("settled").GetDecimal());
        Assert.Equal(before, (await fx.Api.Get($"/api/keys/{key.Id}/requests").Json())[0].GetProperty("team").GetString());
    }

    [Fact]
    public async Task usage_in_flight_when_its_grant_is_revoked_is_charged_to_the_grants_spend_cap()
    {
        var model = await fx.ProviderAndModel(inputPrice: 0m, outputPrice: 50m);
        await Put($"/api/models/{model}/policy", new { restricted = true, approvalsRequired = 1, maxGrantDays = 7, spendCap = 1.00m });
        var app = Api.Unique("app");
        var key = await fx.IssueKey(app, model);
        var requested = await fx.Api.Post("/api/access-requests",
            new { keyId = key.Id, model, justification = "needs the big model", durationDays = 3, spendCap = 1.00m }, 201,
            await Operator(OperatorRoles.AppOwner, app)).Json();
        var grantId = requested.GetProperty("id").GetString()!;
        var approver = await Operator(OperatorRoles.Approver);
        await fx.Api.Post($"/api/access-requests/{grantId}/approve", new { comment = "ok" }, 200, approver);
        await using var adapter = await SimulatedAdapter.StartAsync(fx, answerRecalls: false);
        var lease = await Lease(adapter, key.Id, model);
        Assert.Contains(lease.GetProperty("slices").EnumerateArray(), s => s.GetProperty("level").GetString() == "grant");

        fx.Clock.Advance(TimeSpan.FromSeconds(2));
        await fx.Api.Post($"/api/grants/{grantId}/revoke", new { reason = "project cancelled" }, 200, approver);
        fx.Clock.Advance(TimeSpan.FromSeconds(2));
        await Report(adapter, key.Id, model, lease);

        // The grant's spend cap is a budget of its own (not served by GET /api/budgets): read its window.
        await using var session = fx.Store.QuerySession();
        var cap = (await session.LoadAsync<Budget>(BudgetIds.Definition(BudgetLevel.Grant, grantId)))!;
        Assert.Equal(0.05m, (await session.LoadAsync<BudgetWindowState>(cap.WindowStreamAt(fx.Clock.GetUtcNow())))!.Settled);
        Assert.Equal(1, (await fx.Api.Get($"/api/keys/{key.Id}/requests").Json()).GetArrayLength());
    }
}
