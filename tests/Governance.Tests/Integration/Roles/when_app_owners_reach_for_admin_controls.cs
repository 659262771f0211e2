using System.Text.Json;

namespace Governance.Tests.Integration.Roles;

/// <summary>
/// An app-owner manages its own keys, but the brakes admins put on them stay on: rate limits, a suspension by an admin
/// or by the anomaly detector, and automatic suspension on a spend spike.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_app_owners_reach_for_admin_controls(GovernanceFixture fx)
{
    [Fact]
    public async Task an_app_owner_cannot_issue_a_key_with_rate_limits_an_admin_can()
    {
        var app = Api.Unique("own");
        var owner = await fx.IssueAppOwner(app);
        var limits = new { requestsPerMinute = 1_000_000, tokensPerMinute = 1_000_000_000 };

        var refused = await fx.Api.Post("/api/keys", new { app, name = "unlimited", models = new[] { "m1" }, rateLimits = limits }, 403, owner.Token).Json();

        Assert.Contains("rateLimits", refused.GetProperty("detail").GetString());
        Assert.Empty((await fx.Api.Get($"/api/keys?app={app}").Json()).EnumerateArray());
        await fx.Api.Post("/api/keys", new { app, name = "plain", models = new[] { "m1" } }, 201, owner.Token);
        var byAdmin = await fx.Api.Post("/api/keys", new { app, name = "limited", models = new[] { "m1" }, rateLimits = limits }, 201).Json();
        Assert.Equal(1_000_000, byAdmin.GetProperty("details").GetProperty("rateLimits").GetProperty("requestsPerMinute").GetInt64());
    }

    [Fact]
    public async Task an_app_owner_cannot_resume_a_key_an_admin_suspended_but_resumes_its_own_suspension()
    {
        var app = Api.Unique("own");
        var owner = await fx.IssueAppOwner(app);
        var coOwner = await fx.IssueAppOwner(app);
        var key = await fx.IssueKey(app, "m1");

        await fx.Api.Post($"/api/keys/{key.Id}/suspend", new { reason = "leaked, investigating" }, 200);
        var refused = await fx.Api.Post($"/api/keys/{key.Id}/resume", new { }, 403, owner.Token).Json();

        Assert.Equal("suspended_by_admin", refused.GetProperty("code").GetString());
        var suspended = await fx.Api.Get($"/api/keys/{key.Id}").Json();
        Assert.Equal("suspended", suspended.GetProperty("status").GetString());
        Assert.Equal(OperatorIdOf(GovernanceFixture.AdminToken), suspended.GetProperty("suspendedBy").GetString());

        // An admin lifts it; a suspension by an app-owner of the app is the app-owners' to lift.
        await fx.Api.Post($"/api/keys/{key.Id}/resume", new { }, 200);
        await fx.Api.Post($"/api/keys/{key.Id}/suspend", new { reason = "pausing the batch job" }, 200, owner.Token);
        var resumed = await fx.Api.Post($"/api/keys/{key.Id}/resume", new { }, 200, coOwner.Token).Json();
        Assert.Equal("active", resumed.GetProperty("status").GetString());
    }

    [Fact]
    public async Task an_app_owner_cannot_resume_a_key_the_anomaly_detector_suspended()
    {
        var app = Api.Unique("own");
        var owner = await fx.IssueAppOwner(app);
        var model = await fx.ProviderAndModel(inputPrice: 0m, outputPrice: 10m);
        var key = await fx.IssueKey(app, model);
        await fx.Api.Send("PUT", $"/api/keys/{key.Id}/policy", new { suspendOnAnomaly = true }, owner.Token);

        // $20 in one hour against no history: above the $10 floor and 10× a zero average.
        await fx.Api.Post("/api/usage", new
        {
            requestId = Api.RequestId(), keyId = key.Id, model, inputTokens = 0, cachedTokens = 0, outputTokens = 2_000_000, reasoningTokens = 0,
            latencyMs = 5, status = 200,
        }, 200);
        var suspended = await Wait.For(() => fx.Api.Get($"/api/keys/{key.Id}").Json(),
            k => k.GetProperty("status").GetString() == "suspended", "the anomaly check to suspend the key");
        Assert.Equal("system:anomaly-detector", suspended.GetProperty("suspendedBy").GetString());

        var refused = await fx.Api.Post($"/api/keys/{key.Id}/resume", new { }, 403, owner.Token).Json();

        Assert.Equal("suspended_by_admin", refused.GetProperty("code").GetString());
        Assert.Equal("suspended", (await fx.Api.Get($"/api/keys/{key.Id}").Json()).GetProperty("status").GetString());
        await fx.Api.Post($"/api/keys/{key.Id}/resume", new { }, 200);
    }

    [Fact]
    public async Task an_app_owner_may_turn_suspend_on_anomaly_on_but_not_off()
    {
        var app = Api.Unique("own");
        var owner = await fx.IssueAppOwner(app);
        var key = await fx.IssueKey(app, "m1");

        await fx.Api.Send("PUT", $"/api/keys/{key.Id}/policy", new { suspendOnAnomaly = true }, owner.Token);
        var off = await fx.Api.Send("PUT", $"/api/keys/{key.Id}/policy", new { suspendOnAnomaly = false }, owner.Token);

        Assert.Equal(403, off.Context.Response.StatusCode);
        Assert.Equal("admin_only", (await off.Body()).GetProperty("code").GetString());
        Assert.True((await fx.Api.Get($"/api/keys/{key.Id}").Json()).GetProperty("suspendOnAnomaly").GetBoolean());
        var byAdmin = await fx.Api.Send("PUT", $"/api/keys/{key.Id}/policy", new { suspendOnAnomaly = false }, GovernanceFixture.AdminToken);
        Assert.False((await byAdmin.Body()).GetProperty("suspendOnAnomaly").GetBoolean());
    }

    private static string OperatorIdOf(string token) => Governance.Domain.Operators.OperatorToken.IdFor(token);
}
