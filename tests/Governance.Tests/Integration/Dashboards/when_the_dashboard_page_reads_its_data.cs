using System.Text.Json;
using Governance.Tests.Integration.Roles;

namespace Governance.Tests.Integration.Dashboards;

/// <summary>The page at /ui and the small read endpoints it needs besides the existing ones (the browser test drives the page).</summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_the_dashboard_page_reads_its_data(GovernanceFixture fx)
{
    [Fact]
    public async Task the_page_is_served_without_a_token_under_a_content_security_policy()
    {
        var client = fx.Api.Server.CreateClient();

        var page = await client.GetAsync("/ui");
        var script = await client.GetAsync("/ui/app.js");
        var unknown = await client.GetAsync("/ui/secrets.json");

        Assert.Equal(200, (int)page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Contains("<script src=\"/ui/app.js\"", await page.Content.ReadAsStringAsync());
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType!.MediaType);
        Assert.Equal(404, (int)unknown.StatusCode);
    }

    [Fact]
    public async Task a_token_tells_its_own_roles_and_apps()
    {
        var app = Api.Unique("app");
        var owner = await fx.IssueAppOwner(app);

        var me = await fx.Api.Get("/api/me", token: owner.Token).Json();

        Assert.Equal(owner.Id, me.GetProperty("id").GetString());
        Assert.Equal(["app-owner"], me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal([app], me.GetProperty("apps").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task budgets_list_with_their_windows_and_an_app_owner_sees_only_its_own()
    {
        var model = await fx.ProviderAndModel(inputPrice: 0m, outputPrice: 50m);
        var mine = Api.Unique("app");
        var theirs = Api.Unique("app");
        var key = await fx.IssueKey(mine, model);
        await Put($"/api/budgets/app/{mine}", new { limit = 10m, period = "monthly" });
        await Put($"/api/budgets/key/{key.Id}", new { limit = 0.10m, period = "daily" });
        await Put($"/api/budgets/app/{theirs}", new { limit = 20m, period = "weekly" });
        await fx.Api.Post("/api/usage", Usage(key.Id, model, 1000), 200);

        var all = Owners(await fx.Api.Get("/api/budgets").Json());
        var owner = await fx.IssueAppOwner(mine);
        var asOwner = Owners(await fx.Api.Get("/api/budgets", token: owner.Token).Json());

        Assert.Contains($"app:{theirs}", all.Keys);
        Assert.Equal(0.05m, all[$"key:{key.Id}"].GetProperty("settled").GetDecimal());
        Assert.Equal(0.05m, all[$"key:{key.Id}"].GetProperty("remaining").GetDecimal());
        Assert.Equal(JsonValueKind.String, all[$"app:{mine}"].GetProperty("windowEnd").ValueKind);
        Assert.Equal([$"app:{mine}", $"key:{key.Id}"], asOwner.Keys.Order());
    }

    [Fact]
    public async Task a_crossed_threshold_is_listed_among_the_recent_alerts()
    {
        var model = await fx.ProviderAndModel(inputPrice: 0m, outputPrice: 50m);
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await Put($"/api/budgets/key/{key.Id}", new { limit = 0.10m, period = "monthly", thresholds = new[] { 50 } });
        await fx.Api.Post("/api/usage", Usage(key.Id, model, 1000), 200);

        var alerts = await fx.Api.Get("/api/alerts?limit=200").Json();

        var ours = alerts.EnumerateArray().Single(a => a.GetProperty("subject").GetString() == $"key:{key.Id}");
        Assert.Equal("threshold", ours.GetProperty("kind").GetString());
        Assert.Equal(50, ours.GetProperty("percent").GetInt32());
        Assert.Equal(0.05m, ours.GetProperty("spend").GetDecimal());
        Assert.Equal(0.10m, ours.GetProperty("limit").GetDecimal());
    }

    [Fact]
    public async Task a_bad_alert_limit_is_refused_naming_it()
    {
        var response = await fx.Api.Server.CreateClient().SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/alerts?limit=0")
        {
            Headers = { Authorization = new("Bearer", GovernanceFixture.AdminToken) },
        });

        Assert.Equal(400, (int)response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("limit", out _));
    }

    private static Dictionary<string, JsonElement> Owners(JsonElement budgets) =>
        budgets.EnumerateArray().ToDictionary(b => $"{b.GetProperty("level").GetString()}:{b.GetProperty("owner").GetString()}");

    private static object Usage(string keyId, string model, long output) => new
    {
        requestId = Api.RequestId(), keyId, model, inputTokens = 0, cachedTokens = 0, outputTokens = output, reasoningTokens = 0, latencyMs = 5, status = 200,
    };

    private Task Put(string url, object body) => fx.Api.Scenario(s =>
    {
        s.Put.Json(body).ToUrl(url);
        s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
        s.StatusCodeShouldBe(200);
    });
}
