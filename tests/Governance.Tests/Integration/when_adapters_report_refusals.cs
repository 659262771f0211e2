using Governance.Contracts.Audit;
using Governance.Domain.Access;
using Governance.Domain.Operators;
using Marten;

namespace Governance.Tests.Integration;

/// <summary>POST /api/refusals: an adapter's minute of refusals from the headers, one event per adapter process and minute.</summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_adapters_report_refusals(GovernanceFixture fx)
{
    private async Task<string> AdapterToken(string adapterId) =>
        (await fx.Api.Post("/api/operators", new { name = adapterId, roles = new[] { OperatorRoles.Adapter }, adapterId }, 201).Json())
        .GetProperty("token").GetString()!;

    private DateTimeOffset ThisMinute
    {
        get
        {
            var now = fx.Clock.GetUtcNow();
            return new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero);
        }
    }

    private async Task<IReadOnlyList<RefusalsCounted>> Counted(string adapterId)
    {
        await using var session = fx.Store.QuerySession();
        return await session.Events.QueryRawEventDataOnly<RefusalsCounted>().Where(e => e.AdapterId == adapterId).ToListAsync();
    }

    [Fact]
    public async Task a_report_is_one_event_and_the_same_report_again_is_a_duplicate()
    {
        var adapterId = Api.Unique("edge");
        var token = await AdapterToken(adapterId);
        var report = new RefusalReport(adapterId, "0123456789abcdef", ThisMinute,
            [new(DenialReasons.UnknownKey, null, 100_000), new(DenialReasons.Revoked, "k1abcdefghijklmn", 3)]);

        var first = await fx.Api.Post("/api/refusals", report, 200, token).Json();
        var again = await fx.Api.Post("/api/refusals", new[] { report }, 200, token).Json();

        Assert.False(first.GetProperty("results")[0].GetProperty("duplicate").GetBoolean());
        Assert.True(again.GetProperty("results")[0].GetProperty("duplicate").GetBoolean());
        Assert.Equal(report.StreamId, again.GetProperty("results")[0].GetProperty("streamId").GetString());
        var counted = Assert.Single(await Counted(adapterId));
        Assert.Equal(report.Counts, counted.Counts);
        Assert.Equal(ThisMinute, counted.Minute);
    }

    [Fact]
    public async Task an_adapter_reports_for_itself_only()
    {
        var token = await AdapterToken(Api.Unique("edge"));
        var someoneElse = Api.Unique("edge");

        await fx.Api.Post("/api/refusals", new RefusalReport(someoneElse, "0123456789abcdef", ThisMinute, [new(DenialReasons.UnknownKey, null, 1)]), 403, token);

        Assert.Empty(await Counted(someoneElse));
    }

    [Theory]
    [InlineData("{\"reason\":\"budget_exceeded\",\"count\":1}", "[0].counts[0].reason")]
    [InlineData("{\"reason\":\"unknown_key\",\"keyId\":\"invented-by-the-caller\",\"count\":1}", "[0].counts[0].keyId")]
    [InlineData("{\"reason\":\"unknown_key\",\"count\":0}", "[0].counts[0].count")]
    [InlineData("{\"reason\":\"unknown_key\",\"count\":1}", "[0].minute", "2026-11-02T14:03:30Z")]
    [InlineData("{\"reason\":\"unknown_key\",\"count\":1}", "[0].incarnation", null, "../../x")]
    public async Task a_malformed_report_is_refused_naming_its_field(string count, string field, string? minute = null, string incarnation = "0123456789abcdef")
    {
        var adapterId = Api.Unique("edge");
        var json = $$"""{"adapterId":"{{adapterId}}","incarnation":"{{incarnation}}","minute":"{{minute ?? ThisMinute.ToString("O")}}","counts":[{{count}}]}""";

        var problem = await fx.Api.Scenario(s =>
        {
            s.Post.Text(json).ToUrl("/api/refusals");
            s.WithRequestHeader("Content-Type", "application/json");
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
            s.StatusCodeShouldBe(400);
        }).Json();

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
        Assert.Empty(await Counted(adapterId));
    }
}
