using Governance.Domain.Operators;

namespace Governance.Tests.Integration.Roles;

/// <summary>An app-owner manages its own apps' keys; another app's keys look like keys that don't exist.</summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_app_owners_reach_only_their_apps(GovernanceFixture fx)
{
    private static readonly (string Method, string Suffix, object? Body)[] KeyCommands =
    [
        ("POST", "revoke", new { reason = "not yours" }),
        ("POST", "suspend", new { reason = "not yours" }),
        ("POST", "resume", null),
        ("POST", "rotate", new { gracePeriodSeconds = 0 }),
        ("PUT", "models", new { models = new[] { "*" } }),
        ("PUT", "policy", new { suspendOnAnomaly = true }),
    ];

    [Fact]
    public async Task another_apps_key_is_answered_like_an_unknown_key_and_stays_unchanged()
    {
        var (appA, appB) = (Api.Unique("own"), Api.Unique("theirs"));
        var owner = await fx.IssueAppOwner(appA);
        var theirs = await fx.IssueKey(appB, "m1");
        var before = await (await fx.Api.Get($"/api/keys/{theirs.Id}")).ReadAsTextAsync();

        var unknown = await fx.Api.Send("GET", "/api/keys/doesnotexist0000", null, owner.Token);
        var other = await fx.Api.Send("GET", $"/api/keys/{theirs.Id}", null, owner.Token);
        Assert.Equal(404, unknown.Context.Response.StatusCode);
        Assert.Equal(404, other.Context.Response.StatusCode);
        Assert.Equal(await WithoutTraceId(unknown), await WithoutTraceId(other));
        Assert.Equal(404, (await fx.Api.Send("GET", $"/api/keys/{theirs.Id}/requests", null, owner.Token)).Context.Response.StatusCode);

        foreach (var (method, suffix, body) in KeyCommands)
        {
            var result = await fx.Api.Send(method, $"/api/keys/{theirs.Id}/{suffix}", body, owner.Token);
            Assert.True(result.Context.Response.StatusCode == 404, $"{method} {suffix}: {result.Context.Response.StatusCode}");
        }
        Assert.Equal(before, await (await fx.Api.Get($"/api/keys/{theirs.Id}")).ReadAsTextAsync());
    }

    [Fact]
    public async Task an_app_owner_manages_its_own_keys()
    {
        var app = Api.Unique("own");
        var owner = await fx.IssueAppOwner(app);
        var issued = await fx.Api.Post("/api/keys", new { app, name = "mine", models = new[] { "m1" } }, 201, owner.Token).Json();
        var id = issued.GetProperty("id").GetString()!;
        Assert.Equal(owner.Id, issued.GetProperty("details").GetProperty("issuedBy").GetString());

        foreach (var (method, suffix, body) in KeyCommands.Reverse())
        {
            var result = await fx.Api.Send(method, $"/api/keys/{id}/{suffix}", body, owner.Token);
            Assert.True(result.Context.Response.StatusCode == 200, $"{method} {suffix}: {result.Context.Response.StatusCode}");
        }
        Assert.Equal("revoked", (await fx.Api.Get($"/api/keys/{id}", 200, owner.Token).Json()).GetProperty("status").GetString());
        await fx.Api.Get($"/api/keys/{id}/requests", 200, owner.Token);
    }

    [Fact]
    public async Task issuing_a_key_for_another_app_is_forbidden()
    {
        var owner = await fx.IssueAppOwner(Api.Unique("own"));
        var other = Api.Unique("theirs");

        var refused = await fx.Api.Post("/api/keys", new { app = other, name = "sneaky", models = new[] { "m1" } }, 403, owner.Token);

        Assert.Equal("forbidden", (await refused.Body()).GetProperty("code").GetString());
        Assert.Empty((await fx.Api.Get($"/api/keys?app={other}").Json()).EnumerateArray());
    }

    [Fact]
    public async Task the_key_list_holds_only_the_owners_apps()
    {
        var (appA, appA2, appB) = (Api.Unique("own"), Api.Unique("own2"), Api.Unique("theirs"));
        var owner = await fx.IssueAppOwner(appA, appA2);
        var a = await fx.IssueKey(appA, "m1");
        var a2 = await fx.IssueKey(appA2, "m1");
        await fx.IssueKey(appB, "m1");

        var all = await KeyIds("/api/keys", owner.Token);
        Assert.Contains(a.Id, all);
        Assert.Contains(a2.Id, all);
        Assert.All(await AppsOf("/api/keys", owner.Token), app => Assert.Contains(app, new[] { appA, appA2 }));
        Assert.Equal([a.Id], await KeyIds($"/api/keys?app={appA}", owner.Token));
        Assert.Empty(await KeyIds($"/api/keys?app={appB}", owner.Token));
    }

    [Fact]
    public async Task budgets_of_other_apps_and_of_teams_are_out_of_reach()
    {
        var (appA, appB, team) = (Api.Unique("own"), Api.Unique("theirs"), Api.Unique("team"));
        var owner = await fx.IssueAppOwner(appA);
        var mine = await fx.IssueKey(appA, "m1");
        var theirs = await fx.IssueKey(appB, "m1");
        foreach (var budget in new[] { $"key/{mine.Id}", $"key/{theirs.Id}", $"app/{appA}", $"app/{appB}", $"team/{team}" })
            await fx.Api.Send("PUT", $"/api/budgets/{budget}", new { limit = 5m, period = "monthly" }, GovernanceFixture.AdminToken);

        await fx.Api.Get($"/api/budgets/key/{mine.Id}", 200, owner.Token);
        await fx.Api.Get($"/api/budgets/app/{appA}", 200, owner.Token);
        await fx.Api.Get($"/api/budgets/key/{theirs.Id}", 404, owner.Token);
        await fx.Api.Get($"/api/budgets/app/{appB}", 403, owner.Token);
        await fx.Api.Get($"/api/budgets/team/{team}", 403, owner.Token);
        await fx.Api.Get($"/api/apps/{appA}", 200, owner.Token);
        await fx.Api.Get($"/api/apps/{appB}", 403, owner.Token);
    }

    [Fact]
    public async Task several_roles_add_up_without_widening_each_other()
    {
        var (appA, appB) = (Api.Unique("own"), Api.Unique("theirs"));
        var auditorOwner = await fx.Api.IssueOperator([OperatorRoles.Auditor, OperatorRoles.AppOwner], [appA]);
        var mine = await fx.IssueKey(appA, "m1");
        var theirs = await fx.IssueKey(appB, "m1");

        // Auditor: reads every app's keys and budgets.
        await fx.Api.Get($"/api/keys/{theirs.Id}", 200, auditorOwner.Token);
        Assert.Contains(theirs.Id, await KeyIds($"/api/keys?app={appB}", auditorOwner.Token));
        await fx.Api.Get("/api/spend/top?by=app", 200, auditorOwner.Token);
        // App-owner of A: changes A's keys, and no others (auditing gives no write rights).
        await fx.Api.Post($"/api/keys/{mine.Id}/suspend", new { reason = "mine" }, 200, auditorOwner.Token);
        await fx.Api.Post($"/api/keys/{theirs.Id}/suspend", new { reason = "theirs" }, 404, auditorOwner.Token);
        await fx.Api.Post("/api/keys", new { app = appB, name = "theirs", models = new[] { "m1" } }, 403, auditorOwner.Token);
        Assert.Equal("active", (await fx.Api.Get($"/api/keys/{theirs.Id}").Json()).GetProperty("status").GetString());
    }

    /// <summary>The response as the caller sees it, but for the per-request trace id.</summary>
    private static async Task<string> WithoutTraceId(IScenarioResult result)
    {
        var body = System.Text.Json.Nodes.JsonNode.Parse(await result.ReadAsTextAsync())!.AsObject();
        body.Remove("traceId");
        return $"{result.Context.Response.ContentType} {body.ToJsonString()}";
    }

    private async Task<List<string>> KeyIds(string url, string token) =>
        (await fx.Api.Get(url, 200, token).Json()).EnumerateArray().Select(k => k.GetProperty("id").GetString()!).ToList();

    private async Task<List<string>> AppsOf(string url, string token) =>
        (await fx.Api.Get(url, 200, token).Json()).EnumerateArray().Select(k => k.GetProperty("app").GetString()!).ToList();
}
