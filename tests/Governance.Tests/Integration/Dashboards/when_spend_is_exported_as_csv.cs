using System.Net;
using Alba;

namespace Governance.Tests.Integration.Dashboards;

/// <summary>
/// Finance's spend export (<c>GET /api/spend/export</c>): the spend series as RFC 4180 CSV, any dimension and range, with
/// names a caller chose unable to become spreadsheet formulas.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_spend_is_exported_as_csv(GovernanceFixture fx)
{
    private static readonly DateTimeOffset Day = new(2026, 9, 14, 0, 0, 0, TimeSpan.Zero);

    private async Task<(HttpResponseMessage Response, string Body)> Export(string query)
    {
        using var client = fx.Api.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", GovernanceFixture.AdminToken);
        var response = await client.GetAsync("/api/spend/export?" + query);
        return (response, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task each_owner_and_day_is_a_record_with_exact_cost_and_hostile_names_stay_text()
    {
        var suffix = Api.Unique("x");
        var (formula, quoted, key) = ($"=HYPERLINK(\"http://evil\";\"{suffix}\")", $"acme, \"west\" {suffix}", Api.Unique("key"));
        await fx.RecordAsync(
            Ledger.Request(key, formula, "m", 0.000000123456789m, Day.AddHours(3), input: 1000, output: 10),
            Ledger.Request(key, formula, "m", 1.25m, Day.AddHours(20), input: 2000, output: 20),
            Ledger.Request(key, quoted, "m", 2.5m, Day.AddDays(1).AddHours(1), input: 300, output: 3));

        var range = $"from={Day.UtcDateTime:O}&to={Day.AddDays(2).UtcDateTime:O}";
        var (response, body) = await Export($"by=key&granularity=day&owner={key}&{range}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(
            "dimension,owner,day_start_utc,cost_usd,requests,input_tokens,output_tokens\r\n"
            + $"key,{key},2026-09-14T00:00:00Z,1.250000123456789,2,3000,30\r\n"
            + $"key,{key},2026-09-15T00:00:00Z,2.5,1,300,3\r\n",
            body);

        var (_, byApp) = await Export($"by=app&granularity=day&{range}");
        var lines = byApp.Split("\r\n");
        Assert.Contains($"app,\"'=HYPERLINK(\"\"http://evil\"\";\"\"{suffix}\"\")\",2026-09-14T00:00:00Z,1.250000123456789,2,3000,30", lines);
        Assert.Contains($"app,\"acme, \"\"west\"\" {suffix}\",2026-09-15T00:00:00Z,2.5,1,300,3", lines);
    }

    [Fact]
    public async Task a_wrong_dimension_or_range_is_a_problem_naming_the_parameter_not_a_file()
    {
        var (response, body) = await Export("by=planet");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"by\"", body);

        (response, body) = await Export("by=app&from=2026-01-01T00:00:00Z&to=2025-01-01T00:00:00Z");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"to\"", body);
    }
}
