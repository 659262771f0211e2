using Governance.Domain.Operators;

namespace Governance.Tests.Integration.Roles;

/// <summary>
/// Separation of duties between people: a token names its person at issue, and the approval quorum and the
/// requester's exclusion go by person, so holding two tokens neither doubles a vote nor lets one approve one's own ask.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_one_person_holds_several_tokens(GovernanceFixture fx)
{
    private async Task<string> Token(string person, string role, params string[] apps)
    {
        var issued = await fx.Api.Post("/api/operators",
            new { name = Api.Unique(person), person, roles = new[] { role }, apps = apps.Length == 0 ? null : apps }, 201).Json();
        Assert.Equal(person, issued.GetProperty("details").GetProperty("person").GetString());
        return issued.GetProperty("token").GetString()!;
    }

    private async Task<(string Model, string KeyId, string App)> RestrictedModel(int approvals)
    {
        var model = await fx.ProviderAndModel();
        await fx.Api.Send("PUT", $"/api/models/{model}/policy", new { restricted = true, approvalsRequired = approvals, maxGrantDays = 7 }, GovernanceFixture.AdminToken);
        var app = Api.Unique("app");
        return (model, (await fx.IssueKey(app, model)).Id, app);
    }

    [Fact]
    public async Task two_tokens_of_one_approver_count_once_towards_a_quorum_of_two()
    {
        var (model, keyId, _) = await RestrictedModel(approvals: 2);
        var (alice, bob) = (Api.Unique("alice"), Api.Unique("bob"));
        var (aliceLaptop, alicePhone, bobsToken) = (await Token(alice, OperatorRoles.Approver), await Token(alice, OperatorRoles.Approver), await Token(bob, OperatorRoles.Approver));
        var id = (await fx.Api.Post("/api/access-requests", new { keyId, model, justification = "forecast", durationDays = 1 }, 201).Json())
            .GetProperty("id").GetString()!;

        await fx.Api.Post($"/api/access-requests/{id}/approve", new { comment = "ok" }, 200, aliceLaptop);
        var second = await fx.Api.Post($"/api/access-requests/{id}/approve", new { comment = "ok again" }, 200, alicePhone).Json();

        Assert.Equal("pending", second.GetProperty("status").GetString());
        Assert.Equal(1, second.GetProperty("approvals").GetArrayLength());
        var granted = await fx.Api.Post($"/api/access-requests/{id}/approve", new { comment = "agreed" }, 200, bobsToken).Json();
        Assert.Equal("granted", granted.GetProperty("status").GetString());
        Assert.Equal([alice, bob], granted.GetProperty("approvals").EnumerateArray().Select(a => a.GetProperty("person").GetString()));
    }

    [Fact]
    public async Task the_requester_cannot_approve_or_reject_through_an_approver_token_of_their_own()
    {
        var (model, keyId, app) = await RestrictedModel(approvals: 1);
        var carol = Api.Unique("carol");
        var (asOwner, asApprover) = (await Token(carol, OperatorRoles.AppOwner, app), await Token(carol.ToUpperInvariant(), OperatorRoles.Approver));
        var id = (await fx.Api.Post("/api/access-requests", new { keyId, model, justification = "mine", durationDays = 1 }, 201, asOwner).Json())
            .GetProperty("id").GetString()!;

        var approve = await fx.Api.Post($"/api/access-requests/{id}/approve", new { comment = "looks fine to me" }, 403, asApprover).Json();
        var reject = await fx.Api.Post($"/api/access-requests/{id}/reject", new { reason = "changed my mind" }, 403, asApprover).Json();

        Assert.Equal("self_approval", approve.GetProperty("code").GetString());
        Assert.Equal("self_decision", reject.GetProperty("code").GetString());
        Assert.Equal("pending", (await fx.Api.Get($"/api/access-requests/{id}").Json()).GetProperty("request").GetProperty("status").GetString());
    }
}
