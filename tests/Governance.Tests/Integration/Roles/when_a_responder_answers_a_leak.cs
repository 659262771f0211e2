using Governance.Domain.Operators;

namespace Governance.Tests.Integration.Roles;

/// <summary>
/// The responder role: what a leak scanner or an incident runbook holds. It stops any app's key (revoke, suspend) and
/// reads a key by id, and nothing else: it cannot lift its own brake, list keys, issue, rotate or widen one.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_a_responder_answers_a_leak(GovernanceFixture fx)
{
    [Fact]
    public async Task a_responder_stops_any_apps_key_and_only_an_admin_resumes_it()
    {
        var responder = await fx.IssueOperator(OperatorRoles.Responder);
        var app = Api.Unique("leaky");
        var owner = await fx.IssueAppOwner(app);
        var suspended = await fx.IssueKey(app, "m1");
        var revoked = await fx.IssueKey(Api.Unique("other"), "m1");

        var read = await fx.Api.Get($"/api/keys/{suspended.Id}", 200, responder.Token).Json();
        var afterSuspend = await fx.Api.Post($"/api/keys/{suspended.Id}/suspend", new { reason = "leaked: ci scan" }, 200, responder.Token).Json();
        var afterRevoke = await fx.Api.Post($"/api/keys/{revoked.Id}/revoke", new { reason = "leaked: ci scan" }, 200, responder.Token).Json();

        Assert.Equal("active", read.GetProperty("status").GetString());
        Assert.Equal(("suspended", responder.Id), (afterSuspend.GetProperty("status").GetString(), afterSuspend.GetProperty("suspendedBy").GetString()));
        Assert.Equal("revoked", afterRevoke.GetProperty("status").GetString());
        // The responder's suspension is a brake: neither it nor the app's owner lifts it; an admin does.
        await fx.Api.Post($"/api/keys/{suspended.Id}/resume", new { }, 403, responder.Token);
        var byOwner = await fx.Api.Post($"/api/keys/{suspended.Id}/resume", new { }, 403, owner.Token).Json();
        Assert.Equal("suspended_by_admin", byOwner.GetProperty("code").GetString());
        await fx.Api.Post($"/api/keys/{suspended.Id}/resume", new { }, 200);
    }

    [Fact]
    public async Task a_responder_cannot_list_issue_rotate_or_widen_keys()
    {
        var responder = await fx.IssueOperator(OperatorRoles.Responder);
        var app = Api.Unique("leaky");
        var key = await fx.IssueKey(app, "m1");

        await fx.Api.Get($"/api/keys?app={app}", 403, responder.Token);
        await fx.Api.Get($"/api/keys/{key.Id}/requests", 403, responder.Token);
        await fx.Api.Post("/api/keys", new { app, name = "mine", models = new[] { "*" } }, 403, responder.Token);
        await fx.Api.Post($"/api/keys/{key.Id}/rotate", new { gracePeriodSeconds = 0 }, 403, responder.Token);
        var widen = await fx.Api.Send("PUT", $"/api/keys/{key.Id}/models", new { models = new[] { "*" } }, responder.Token);

        Assert.Equal(403, widen.Context.Response.StatusCode);

        var unchanged = await fx.Api.Get($"/api/keys/{key.Id}").Json();
        Assert.Equal("active", unchanged.GetProperty("status").GetString());
        Assert.Equal(["m1"], unchanged.GetProperty("models").EnumerateArray().Select(m => m.GetString()!));
    }

    [Fact]
    public async Task a_responder_token_names_no_apps()
    {
        var problem = await fx.Api.Post("/api/operators",
            new { name = Api.Unique("responder"), roles = new[] { OperatorRoles.Responder }, apps = new[] { "billing" } }, 400).Json();

        Assert.True(problem.GetProperty("errors").TryGetProperty("apps", out _), problem.ToString());
    }
}
