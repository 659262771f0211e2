using System.Text.Json;
using Governance.Domain.Usage;
using Governance.Tests.Integration.Leases;
using Governance.Tests.Integration.Proxy;
using Marten;

namespace Governance.Tests.Integration;

/// <summary>
/// What an adapter sends is either recorded or refused, never silently dropped: the worst case and the feed sequence
/// a lease-admitted request carries reach its ledger entry, and a field the API does not know is a 400 naming it.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_usage_records_are_read_strictly(GovernanceFixture fx)
{
    private static async Task<(int Status, JsonElement Body)> Post(HttpClient client, string url, object body)
    {
        var response = await client.PostAsJsonAsync(url, body);
        return ((int)response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    private static void AssertNamed((int Status, JsonElement Body) answer, string field)
    {
        Assert.True(answer.Status == 400, $"{answer.Status}: {answer.Body}");
        Assert.True(answer.Body.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out _), answer.Body.ToString());
    }

    [Fact]
    public async Task a_lease_admitted_record_keeps_its_worst_case_and_the_sequence_its_decision_rested_on()
    {
        var model = await fx.ProviderAndModel(inputPrice: 0m, outputPrice: 50m);
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await fx.Api.Put($"/api/budgets/key/{key.Id}", new { limit = 1.00m, period = "monthly" }, 200);
        await using var adapter = await SimulatedAdapter.StartAsync(fx, answerRecalls: false);
        var lease = await Post(adapter.Http, "/api/leases", new { adapterId = adapter.Id, keyId = key.Id, need = 0.07m });
        var requestId = RequestIds.New();

        var recorded = await Post(adapter.Http, "/api/usage", new
        {
            requestId, keyId = key.Id, model, inputTokens = 0, cachedTokens = 0, outputTokens = 1000, reasoningTokens = 0, latencyMs = 5, status = 200,
            occurredAt = fx.Clock.GetUtcNow(), leaseIds = new[] { lease.Body.GetProperty("slices")[0].GetProperty("leaseId").GetString() },
            worstCaseCost = 0.07m, decidedAtSequence = 42L,
        });

        Assert.True(recorded.Status == 200, recorded.Body.ToString());
        await using var session = fx.Store.QuerySession();
        var completed = Assert.IsType<RequestCompleted>(Assert.Single(await session.Events.FetchStreamAsync(requestId)).Data);
        Assert.Equal((0.07m, 42L), (completed.WorstCaseCost, completed.DecidedAtSequence));
    }

    [Fact]
    public async Task a_field_the_api_does_not_know_is_refused_and_named_on_every_adapter_call()
    {
        var model = await fx.ProviderAndModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await using var adapter = await SimulatedAdapter.StartAsync(fx, answerRecalls: false);
        var usage = new Dictionary<string, object?>
        {
            ["requestId"] = RequestIds.New(), ["keyId"] = key.Id, ["model"] = model, ["inputTokens"] = 1, ["cachedTokens"] = 0, ["outputTokens"] = 1,
            ["reasoningTokens"] = 0, ["latencyMs"] = 1, ["status"] = 200, ["worstCase"] = 0.5m,
        };

        AssertNamed(await Post(adapter.Http, "/api/usage", usage), "[0].worstCase");
        AssertNamed(await Post(adapter.Http, "/api/usage", new[] { usage, usage }), "[0].worstCase");
        AssertNamed(await Post(adapter.Http, "/api/denials", new { requestId = RequestIds.New(), model, reason = "revoked", deniedBy = "adapter:x" }),
            "[0].deniedBy");
        AssertNamed(await Post(adapter.Http, "/api/authorize", new { key = key.Key, model, maxTokens = 10 }), "maxTokens");
        AssertNamed(await Post(adapter.Http, "/api/leases", new { adapterId = adapter.Id, keyId = key.Id, need = 0.01m, wants = 1m }), "wants");
        Assert.Equal(0, (await fx.Api.Get($"/api/keys/{key.Id}/requests").Json()).GetArrayLength());
    }
}
