using System.Buffers.Text;
using System.Text;

namespace Governance.Tests.Integration.Dashboards;

[Collection(GovernanceCollection.Name)]
public sealed class when_dashboard_parameters_are_wrong(GovernanceFixture fx)
{
    [Theory]
    [InlineData("/api/spend", "by")]
    [InlineData("/api/spend?by=region", "by")]
    [InlineData("/api/spend?by=app&granularity=week", "granularity")]
    [InlineData("/api/spend?by=app&from=yesterday", "from")]
    [InlineData("/api/spend?by=app&to=2026-13-01T00:00:00Z", "to")]
    [InlineData("/api/spend?by=app&from=2026-10-02T00:00:00Z&to=2026-10-02T00:00:00Z", "to")]
    [InlineData("/api/spend?by=app&from=2026-10-02T00:00:00Z&to=2026-10-01T00:00:00Z", "to")]
    [InlineData("/api/spend?by=app&granularity=hour&from=2026-09-01T00:00:00Z&to=2026-10-02T00:00:01Z", "from")]
    [InlineData("/api/spend?by=app&granularity=day&from=2025-01-01T00:00:00Z&to=2026-01-03T00:00:00Z", "from")]
    [InlineData("/api/spend/top", "by")]
    [InlineData("/api/spend/top?by=app&limit=0", "limit")]
    [InlineData("/api/spend/top?by=app&limit=101", "limit")]
    [InlineData("/api/spend/top?by=app&from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from")]
    [InlineData("/api/requests?limit=0", "limit")]
    [InlineData("/api/requests?limit=501", "limit")]
    [InlineData("/api/requests?limit=ten", "limit")]
    [InlineData("/api/requests?status=ok", "status")]
    [InlineData("/api/requests?status=42", "status")]
    [InlineData("/api/requests?from=2026-10-02T00:00:00Z&to=2026-10-01T00:00:00Z", "to")]
    [InlineData("/api/requests?after=%25%25not-a-cursor", "after")]
    public async Task a_bad_parameter_is_a_400_naming_it(string url, string field)
    {
        var problem = await fx.Api.Scenario(s =>
        {
            s.Get.Url(url);
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
            s.StatusCodeShouldBe(400);
            s.ContentTypeShouldBe("application/problem+json");
        }).Json();
        Assert.Equal([field], problem.GetProperty("errors").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task a_cursor_for_no_known_request_is_refused()
    {
        var forged = Base64Url.EncodeToString(Encoding.UTF8.GetBytes("req-that-never-was"));
        var problem = await fx.Api.Get($"/api/requests?after={forged}", 400).Json();
        Assert.True(problem.GetProperty("errors").TryGetProperty("after", out _));
    }

    [Fact]
    public async Task the_largest_ranges_and_pages_are_accepted()
    {
        await fx.Api.Get("/api/spend?by=team&granularity=hour&from=2026-09-01T00:00:00Z&to=2026-10-02T00:00:00Z");
        await fx.Api.Get("/api/spend?by=team&granularity=day&from=2025-01-01T00:00:00Z&to=2026-01-02T00:00:00Z");
        await fx.Api.Get("/api/spend/top?by=team&limit=100");
        await fx.Api.Get("/api/requests?limit=500&status=599");
    }
}
