using System.Text.Json;
using Governance.Domain.Usage;
using Governance.Projections.Usage;
using Marten;

namespace Governance.Tests.Integration;

[Collection(GovernanceCollection.Name)]
public sealed class when_adapters_report_usage(GovernanceFixture fx)
{
    private static object Record(string keyId, string model, string? requestId = null, long input = 1000, long output = 500, long cached = 0,
        long reasoning = 0, object? occurredAt = null, string? reservationId = null) => new
    {
        requestId = requestId ?? Api.RequestId(), keyId, model, provider = "openai", inputTokens = input, cachedTokens = cached,
        outputTokens = output, reasoningTokens = reasoning, latencyMs = 321, status = 200, occurredAt, reservationId,
    };

    [Fact]
    public async Task a_record_is_priced_with_cached_and_reasoning_tokens_and_names_the_price_version()
    {
        var model = await fx.ProviderAndModel(inputPrice: 2m, outputPrice: 8m);
        await fx.Api.Scenario(s =>
        {
            s.Put.Json(new { inputPer1M = 2m, outputPer1M = 8m, cachedInputPer1M = 0.5m, source = "test" }).ToUrl($"/api/prices/{model}");
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
        });
        var issued = await fx.IssueKey(Api.Unique("app"), model);

        var result = await fx.Api.Post("/api/usage", Record(issued.Id, model, input: 1000, cached: 400, output: 300, reasoning: 100), 200).Json();

        var outcome = result.GetProperty("results")[0];
        Assert.Equal((600 * 2m + 400 * 0.5m + 300 * 8m) / 1_000_000m, outcome.GetProperty("cost").GetDecimal());
        Assert.Equal(2, outcome.GetProperty("priceVersion").GetInt32());
        Assert.False(outcome.GetProperty("duplicate").GetBoolean());
    }

    [Fact]
    public async Task a_request_is_priced_at_the_price_effective_when_it_happened()
    {
        var model = await fx.ProviderAndModel(inputPrice: 1m, outputPrice: 1m);
        var now = fx.Clock.GetUtcNow();
        await fx.Api.Scenario(s =>
        {
            s.Put.Json(new { inputPer1M = 3m, outputPer1M = 3m, effectiveFrom = now.AddHours(1), source = "price rise" }).ToUrl($"/api/prices/{model}");
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
        });
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        // Usage is reported after it happened (a time in the future is refused).
        fx.Clock.Advance(TimeSpan.FromHours(1.5));

        var result = await fx.Api.Post("/api/usage", new[]
        {
            Record(issued.Id, model, input: 1_000_000, output: 0, occurredAt: now.AddMinutes(59)),
            // Any UTC offset names the same instant (the ledger stores it in UTC).
            Record(issued.Id, model, input: 1_000_000, output: 0, occurredAt: now.AddHours(1).ToOffset(TimeSpan.FromHours(2))),
        }, 200).Json();

        var results = result.GetProperty("results");
        Assert.Equal(1m, results[0].GetProperty("cost").GetDecimal());
        Assert.Equal(3m, results[1].GetProperty("cost").GetDecimal());
    }

    [Fact]
    public async Task the_same_request_id_sent_again_returns_the_original_result_and_writes_nothing()
    {
        var model = await fx.ProviderAndModel();
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        var record = Record(issued.Id, model, requestId: Api.RequestId(), input: 1000, output: 10);

        var first = await fx.Api.Post("/api/usage", record, 200).Json();
        var again = await fx.Api.Post("/api/usage", new[] { record, Record(issued.Id, model) }, 200).Json();

        Assert.Equal(first.GetProperty("results")[0].GetProperty("cost").GetDecimal(), again.GetProperty("results")[0].GetProperty("cost").GetDecimal());
        Assert.True(again.GetProperty("results")[0].GetProperty("duplicate").GetBoolean());
        Assert.False(again.GetProperty("results")[1].GetProperty("duplicate").GetBoolean());
        Assert.Equal(2, (await fx.Api.Get($"/api/keys/{issued.Id}/requests").Json()).GetArrayLength());
    }

    [Fact]
    public async Task each_recorded_request_is_a_stream_marten_reads_like_one_it_started_itself()
    {
        var model = await fx.ProviderAndModel();
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        var ids = Enumerable.Range(0, 3).Select(_ => Api.RequestId()).ToArray();

        await fx.Api.Post("/api/usage", ids.Select(id => Record(issued.Id, model, requestId: id, input: 100, output: 10)).ToArray(), 200);

        await using var session = fx.Store.QuerySession();
        var sequences = new List<long>();
        foreach (var id in ids)
        {
            var state = await session.Events.FetchStreamStateAsync(id);
            Assert.Equal(1, state!.Version);
            Assert.Equal(typeof(RequestRecord), state.AggregateType);
            var e = Assert.Single(await session.Events.FetchStreamAsync(id));
            Assert.Equal(1, e.Version);
            Assert.Equal("request_completed", e.EventTypeName);
            Assert.Equal(fx.Clock.GetUtcNow(), e.Timestamp);
            Assert.False(string.IsNullOrEmpty(e.UserName) || e.UserName == Governance.Hosting.Audit.AuditContext.Unattributed, e.UserName);
            var completed = Assert.IsType<RequestCompleted>(e.Data);
            Assert.Equal((id, issued.Id, model, 100L), (completed.RequestId, completed.KeyId, completed.Model, completed.InputTokens));
            sequences.Add(e.Sequence);
        }
        // Numbered from Marten's event sequence, in the order of the batch.
        Assert.Equal(sequences.Order(), sequences);
        Assert.Equal(3, sequences.Distinct().Count());
        Assert.Equal(3, (await RequestLog.PageAsync(session, new(KeyId: issued.Id), null, 10, default))!.Count);
    }

    [Fact]
    public async Task concurrent_batches_sharing_request_ids_in_opposite_orders_all_succeed_and_record_each_once()
    {
        var model = await fx.ProviderAndModel();
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        var records = Enumerable.Range(0, 20).Select(_ => Record(issued.Id, model, input: 100, output: 10)).ToArray();
        var client = fx.Api.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", GovernanceFixture.AdminToken);

        var responses = await Task.WhenAll(Enumerable.Range(0, 6)
            .Select(i => client.PostAsJsonAsync("/api/usage", i % 2 == 0 ? records : records.Reverse().ToArray())));

        Assert.All(responses, r => Assert.Equal(200, (int)r.StatusCode));
        var fresh = await Task.WhenAll(responses.Select(async r =>
            (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("results").EnumerateArray().Count(x => !x.GetProperty("duplicate").GetBoolean())));
        Assert.Equal(20, fresh.Sum());
        await using var session = fx.Store.QuerySession();
        Assert.Equal(20, (await RequestLog.PageAsync(session, new(KeyId: issued.Id), null, 50, default))!.Count);
    }

    [Fact]
    public async Task concurrent_duplicates_make_one_ledger_entry()
    {
        var model = await fx.ProviderAndModel(inputPrice: 0m, outputPrice: 50m);
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        await fx.Api.Scenario(s =>
        {
            s.Put.Json(new { limit = 10m, period = "lifetime" }).ToUrl($"/api/budgets/key/{issued.Id}");
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
        });
        var batch = Enumerable.Range(0, 5).Select(_ => Record(issued.Id, model, input: 0, output: 1000)).ToArray();
        var client = fx.Api.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", GovernanceFixture.AdminToken);

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.PostAsJsonAsync("/api/usage", batch)));

        Assert.All(responses, r => Assert.Equal(200, (int)r.StatusCode));
        var costs = await Task.WhenAll(responses.Select(async r =>
            (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("results").EnumerateArray().Sum(x => x.GetProperty("cost").GetDecimal())));
        Assert.All(costs, c => Assert.Equal(0.25m, c));
        await using var session = fx.Store.QuerySession();
        Assert.Equal(5, (await RequestLog.PageAsync(session, new(KeyId: issued.Id), null, 10, default))!.Count);
        var budget = await fx.Api.Get($"/api/budgets/key/{issued.Id}").Json();
        Assert.Equal(0.25m, budget.GetProperty("settled").GetDecimal());
    }

    [Fact]
    public async Task a_batch_with_one_bad_record_is_rejected_whole_naming_its_index()
    {
        var model = await fx.ProviderAndModel();
        var issued = await fx.IssueKey(Api.Unique("app"), model);

        var problem = await fx.Api.Post("/api/usage", new[]
        {
            Record(issued.Id, model), Record(issued.Id, model), Record(issued.Id, model, input: -5),
        }, 400).Json();
        Assert.True(problem.GetProperty("errors").TryGetProperty("[2].inputTokens", out _), problem.ToString());

        var unknownKey = await fx.Api.Post("/api/usage", new[] { Record(issued.Id, model), Record("nosuchkey0000000", model) }, 400).Json();
        Assert.True(unknownKey.GetProperty("errors").TryGetProperty("[1].keyId", out _), unknownKey.ToString());

        var unknownReservation = await fx.Api.Post("/api/usage", Record(issued.Id, model, reservationId: "rsv_nope"), 400).Json();
        Assert.True(unknownReservation.GetProperty("errors").TryGetProperty("[0].reservationId", out _));

        Assert.Equal(0, (await fx.Api.Get($"/api/keys/{issued.Id}/requests").Json()).GetArrayLength());
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("42")]
    [InlineData("{not json")]
    [InlineData("[null]")]
    public async Task a_body_that_is_not_usage_records_is_a_400(string body)
    {
        await fx.Api.Scenario(s =>
        {
            s.Post.Text(body).ToUrl("/api/usage");
            s.WithRequestHeader("Content-Type", "application/json");
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
            s.StatusCodeShouldBe(400);
        });
    }

    [Fact]
    public async Task cached_tokens_cannot_exceed_input_tokens()
    {
        var model = await fx.ProviderAndModel();
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        var problem = await fx.Api.Post("/api/usage", Record(issued.Id, model, input: 10, cached: 11), 400).Json();
        Assert.True(problem.GetProperty("errors").TryGetProperty("[0].cachedTokens", out _));
    }
}
