using System.Text.Json;
using Alba;
using Governance.Api;
using Governance.Api.Access;
using Governance.Domain.Access;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Marten;

namespace Governance.Tests.Integration;

/// <summary>
/// Issue 16: a holder of an adapter token (a stolen one, say) sends POST /api/authorize as many unknown keys as it likes.
/// Refusals of the key itself cost the history one refusals_counted per API node and minute, not one event each; a
/// refusal decided once the key was recognised keeps its own request_denied and denial id.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_bad_keys_flood_authorize(GovernanceFixture fx)
{
    [Fact]
    public async Task a_flood_of_bad_keys_is_one_event_per_minute_with_its_counts_and_no_event_per_attempt()
    {
        // An API node of its own, so its count holds this test's refusals only.
        await using var api = await AlbaHost.For<ApiMarker>(fx.Configure);
        var counting = api.Services.GetRequiredService<RefusalCounting>();
        var model = await fx.ProviderAndModel();
        var revoked = await fx.IssueKey(Api.Unique("app"), model);
        await fx.Api.Post($"/api/keys/{revoked.Id}/revoke", new { reason = "leaked" }, 200);
        var adapterId = Api.Unique("stolen");
        var token = (await fx.Api.Post("/api/operators", new { name = adapterId, roles = new[] { OperatorRoles.Adapter }, adapterId }, 201).Json())
            .GetProperty("token").GetString()!;
        var unknown = Enumerable.Range(0, 150).Select(_ => KeyFormat.NewKey(KeyFormat.NewKeyId())).ToList();
        async Task<JsonElement> Authorize(string key) => await api.Post("/api/authorize", new { key, model }, 200, token).Json();

        var answers = new List<JsonElement>();
        foreach (var key in unknown)
            answers.Add(await Authorize(key));
        for (var i = 0; i < 100; i++)
            answers.Add(await Authorize($"gk_not_a_key_{i}"));
        for (var i = 0; i < 50; i++)
            answers.Add(await Authorize(revoked.Key));
        await counting.FlushAsync(all: true);

        Assert.All(answers, a => Assert.Equal((false, JsonValueKind.Null), (a.GetProperty("allowed").GetBoolean(), a.GetProperty("denialId").ValueKind)));
        await using var session = fx.Store.QuerySession();
        Assert.Empty(await session.Events.QueryRawEventDataOnly<RequestDenied>().Where(d => d.Model == model).ToListAsync());
        var events = await session.Events.QueryAllRawEvents().Where(e => e.StreamKey!.EndsWith(":" + counting.Tally.Incarnation)).ToListAsync();
        var counted = Assert.IsType<RefusalsCounted>(Assert.Single(events).Data);
        Assert.Equal(
            [new(HeaderRefusals.MalformedKey, null, 100), new(DenialReasons.Revoked, revoked.Id, 50), new(DenialReasons.UnknownKey, null, 150)],
            counted.Counts);
        Assert.Equal(RefusalCounting.Actor, counted.RecordedBy);
        Assert.StartsWith("api:", counted.AdapterId);
        var json = JsonSerializer.Serialize(counted);
        Assert.DoesNotContain(revoked.Key, json);
        Assert.DoesNotContain(unknown[0], json);
    }

    [Fact]
    public async Task a_refusal_decided_once_the_key_was_recognised_keeps_its_own_event_and_denial_id()
    {
        var key = await fx.IssueKey(Api.Unique("app"), await fx.ProviderAndModel());
        var other = await fx.ProviderAndModel();

        var denied = await fx.Api.Post("/api/authorize", new { key = key.Key, model = other }, 200).Json();

        Assert.Equal("model_not_allowed", denied.GetProperty("reason").GetString());
        await using var session = fx.Store.QuerySession();
        var recorded = Assert.IsType<RequestDenied>(Assert.Single(await session.Events.FetchStreamAsync(denied.GetProperty("denialId").GetString()!)).Data);
        Assert.Equal((key.Id, other, DenialReasons.ModelNotAllowed), (recorded.KeyId, recorded.Model, recorded.Reason));
    }
}
