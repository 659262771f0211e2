using System.Text.Json;
using Governance.Domain.Operators;
using Marten;

namespace Governance.Tests.Integration;

/// <summary>The approval workflow end to end: policy, request, N-of-M sign-off, time-boxed grants enforced at allow/deny.</summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_expensive_models_need_approval(GovernanceFixture fx)
{
    private async Task<string> Operator(string role, params string[] apps)
    {
        var created = await fx.Api.Post("/api/operators", new { name = Api.Unique(role), roles = new[] { role }, apps }, 201).Json();
        return created.GetProperty("token").GetString()!;
    }

    private Task<IScenarioResult> Put(string url, object body, int status = 200) => fx.Api.Scenario(s =>
    {
        s.Put.Json(body).ToUrl(url);
        s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
        s.StatusCodeShouldBe(status);
    });

    private async Task<(string Model, Api.Issued Key, string App)> RestrictedModel(int approvals = 2, int maxDays = 7, decimal? spendCap = null)
    {
        var model = await fx.ProviderAndModel(inputPrice: 0m, outputPrice: 50m);
        await Put($"/api/models/{model}/policy", new { restricted = true, approvalsRequired = approvals, maxGrantDays = maxDays, spendCap });
        var app = Api.Unique("app");
        return (model, await fx.IssueKey(app, model), app);
    }

    private async Task<string> Request(string model, string keyId, string token, int days = 3, decimal? spendCap = null)
    {
        var created = await fx.Api.Post("/api/access-requests",
            new { keyId, model, justification = "quarterly forecast needs the big model", durationDays = days, spendCap }, 201, token).Json();
        return created.GetProperty("id").GetString()!;
    }

    private async Task<JsonElement> Authorize(string key, string model) =>
        await fx.Api.Post("/api/authorize", new { key, model, maxInputTokens = 0, maxOutputTokens = 1000 }, 200).Json();

    [Fact]
    public async Task a_restricted_model_is_denied_until_a_quorum_of_two_distinct_approvers_grants_it()
    {
        var (model, key, app) = await RestrictedModel(approvals: 2);
        var owner = await Operator(OperatorRoles.AppOwner, app);
        var alice = await Operator(OperatorRoles.Approver);
        var bob = await Operator(OperatorRoles.Approver);

        Assert.Equal("approval_required", (await Authorize(key.Key, model)).GetProperty("reason").GetString());
        var id = await Request(model, key.Id, owner);

        var first = await fx.Api.Post($"/api/access-requests/{id}/approve", new { comment = "ok by me" }, 200, alice).Json();
        Assert.Equal("pending", first.GetProperty("status").GetString());
        var again = await fx.Api.Post($"/api/access-requests/{id}/approve", new { comment = "really ok" }, 200, alice).Json();
        Assert.Equal(1, again.GetProperty("approvals").GetArrayLength());
        Assert.Equal("approval_required", (await Authorize(key.Key, model)).GetProperty("reason").GetString());

        var second = await fx.Api.Post($"/api/access-requests/{id}/approve", new { comment = "agreed" }, 200, bob).Json();
        Assert.Equal("granted", second.GetProperty("status").GetString());
        Assert.True((await Authorize(key.Key, model)).GetProperty("allowed").GetBoolean());

        var detail = await fx.Api.Get($"/api/access-requests/{id}", 200, alice).Json();
        Assert.Equal(["access_requested", "access_approved", "access_approved", "access_granted"],
            detail.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task the_requester_cannot_approve_their_own_request()
    {
        var (model, key, _) = await RestrictedModel(approvals: 1);
        var approver = await Operator(OperatorRoles.Approver);
        // An approver who also asks: separation of duties still applies.
        var both = await fx.Api.Post("/api/operators", new { name = Api.Unique("both"), roles = new[] { OperatorRoles.Approver, OperatorRoles.Admin } }, 201).Json();
        var id = await Request(model, key.Id, both.GetProperty("token").GetString()!);

        var refused = await fx.Api.Post($"/api/access-requests/{id}/approve", new { comment = "mine" }, 403, both.GetProperty("token").GetString()).Json();
        Assert.Equal("self_approval", refused.GetProperty("code").GetString());
        Assert.Contains("requester", refused.GetProperty("detail").GetString());
        await fx.Api.Post($"/api/access-requests/{id}/approve", new { comment = "fine" }, 200, approver);
    }

    [Fact]
    public async Task only_approvers_decide_and_decided_requests_stay_decided()
    {
        var (model, key, app) = await RestrictedModel(approvals: 1);
        var owner = await Operator(OperatorRoles.AppOwner, app);
        var approver = await Operator(OperatorRoles.Approver);
        var id = await Request(model, key.Id, owner);

        await fx.Api.Post($"/api/access-requests/{id}/approve", new { comment = "me too" }, 403, GovernanceFixture.AdminToken);
        await fx.Api.Post($"/api/access-requests/{id}/reject", new { reason = "use the small model" }, 200, approver);
        var conflict = await fx.Api.Post($"/api/access-requests/{id}/approve", new { comment = "changed my mind" }, 409, approver).Json();
        Assert.Contains("rejected", conflict.GetProperty("detail").GetString());
        await fx.Api.Post($"/api/access-requests/{id}/withdraw", new { }, 409, owner);

        var withdrawn = await Request(model, key.Id, owner);
        await fx.Api.Post($"/api/access-requests/{withdrawn}/withdraw", new { }, 200, owner);
        await fx.Api.Post($"/api/access-requests/{withdrawn}/approve", new { comment = "late" }, 409, approver);
    }

    [Fact]
    public async Task bad_requests_are_refused_clearly()
    {
        var (model, key, app) = await RestrictedModel(maxDays: 7);
        var owner = await Operator(OperatorRoles.AppOwner, app);

        var tooLong = await fx.Api.Post("/api/access-requests", new { keyId = key.Id, model, justification = "j", durationDays = 8 }, 400, owner).Json();
        Assert.True(tooLong.GetProperty("errors").TryGetProperty("durationDays", out _));
        await fx.Api.Post("/api/access-requests", new { keyId = key.Id, model = "no-such-model", justification = "j", durationDays = 1 }, 404, owner);
        await fx.Api.Post("/api/access-requests", new { keyId = "nosuchkey0000000", model, justification = "j", durationDays = 1 }, 404, owner);
        await fx.Api.Post("/api/access-requests", new { app = Api.Unique("other"), model, justification = "j", durationDays = 1 }, 403, owner);
        var unrestricted = await fx.ProviderAndModel();
        await fx.Api.Post("/api/access-requests", new { keyId = key.Id, model = unrestricted, justification = "j", durationDays = 1 }, 409, owner);
        await fx.Api.Post("/api/access-requests/acr_nope/approve", new { comment = "x" }, 404, await Operator(OperatorRoles.Approver));
    }

    [Fact]
    public async Task a_grant_ends_at_its_expiry_by_time_even_before_the_scheduled_message_runs()
    {
        var (model, key, app) = await RestrictedModel(approvals: 1);
        var owner = await Operator(OperatorRoles.AppOwner, app);
        var approver = await Operator(OperatorRoles.Approver);
        var id = await Request(model, key.Id, owner, days: 2);
        await fx.Api.Post($"/api/access-requests/{id}/approve", new { comment = "two days" }, 200, approver);
        var client = fx.ProxyClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key.Key);
        Task<HttpResponseMessage> Call() => client.PostAsJsonAsync("/v1/chat/completions",
            new { model, max_tokens = 10, messages = new[] { new { role = "user", content = "hi" } } });

        Assert.Equal(200, (int)(await Call()).StatusCode);
        fx.Clock.Advance(TimeSpan.FromDays(2) - TimeSpan.FromSeconds(1));
        Assert.Equal(200, (int)(await Call()).StatusCode);
        fx.Clock.Advance(TimeSpan.FromSeconds(1));

        var denied = await Call();
        Assert.Equal(403, (int)denied.StatusCode);
        Assert.Contains("approval_required", await denied.Content.ReadAsStringAsync());
        var grants = await fx.Api.Get($"/api/grants?key={key.Id}").Json();
        Assert.False(grants[0].GetProperty("active").GetBoolean());

        // The scheduled expiry, when it runs, records the end as an event.
        await using (var session = fx.Store.LightweightSession())
        {
            using var scope = fx.Api.Services.CreateScope();
            await Governance.Projections.Approvals.AccessMessageHandlers.Handle(new Governance.Projections.Approvals.ExpireGrant(id), session,
                scope.ServiceProvider.GetRequiredService<Wolverine.IMessageBus>(), fx.Clock, CancellationToken.None);
            await session.SaveChangesAsync();
        }
        var detail = await fx.Api.Get($"/api/access-requests/{id}").Json();
        Assert.Equal("grant_expired", detail.GetProperty("history").EnumerateArray().Last().GetProperty("type").GetString());
    }

    [Fact]
    public async Task a_revoked_grant_is_denied_on_the_next_call()
    {
        var (model, key, app) = await RestrictedModel(approvals: 1);
        var owner = await Operator(OperatorRoles.AppOwner, app);
        var approver = await Operator(OperatorRoles.Approver);
        var id = await Request(model, key.Id, owner);
        await fx.Api.Post($"/api/access-requests/{id}/approve", new { comment = "ok" }, 200, approver);
        Assert.True((await Authorize(key.Key, model)).GetProperty("allowed").GetBoolean());

        await fx.Api.Post($"/api/grants/{id}/revoke", new { reason = "project cancelled" }, 200, approver);

        Assert.Equal("approval_required", (await Authorize(key.Key, model)).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task a_grant_spend_cap_is_enforced_like_a_budget()
    {
        var (model, key, app) = await RestrictedModel(approvals: 1, spendCap: 0.10m);
        var owner = await Operator(OperatorRoles.AppOwner, app);
        var approver = await Operator(OperatorRoles.Approver);
        var id = await Request(model, key.Id, owner, spendCap: 0.50m);
        var granted = await fx.Api.Post($"/api/access-requests/{id}/approve", new { comment = "capped" }, 200, approver).Json();
        Assert.Equal(0.10m, granted.GetProperty("spendCap").GetDecimal());

        foreach (var _ in Enumerable.Range(0, 2))
        {
            var held = await Authorize(key.Key, model);
            Assert.True(held.GetProperty("allowed").GetBoolean());
            await fx.Api.Post("/api/usage", new
            {
                requestId = Api.RequestId(), keyId = key.Id, model, inputTokens = 0, cachedTokens = 0, outputTokens = 1000, reasoningTokens = 0,
                latencyMs = 1, status = 200, reservationId = held.GetProperty("reservationId").GetString(),
            }, 200);
        }

        var denied = await Authorize(key.Key, model);
        Assert.Equal("budget_exceeded", denied.GetProperty("reason").GetString());
        Assert.Equal("grant", denied.GetProperty("shortfall").GetProperty("level").GetString());
        await using var session = fx.Store.QuerySession();
        Assert.Equal(2, (await Governance.Projections.Usage.RequestLog.PageAsync(session, new(GrantId: id), null, 10, default))!.Count);
    }

    [Fact]
    public async Task the_approver_queue_shows_who_wants_what_why_and_at_what_price()
    {
        var (model, key, app) = await RestrictedModel();
        var owner = await Operator(OperatorRoles.AppOwner, app);
        var approver = await Operator(OperatorRoles.Approver);
        var id = await Request(model, key.Id, owner);

        var queue = await fx.Api.Get("/api/access-requests?status=pending", 200, approver).Json();
        var entry = queue.EnumerateArray().Single(e => e.GetProperty("request").GetProperty("id").GetString() == id);
        Assert.Equal(model, entry.GetProperty("request").GetProperty("model").GetString());
        Assert.StartsWith("op_", entry.GetProperty("request").GetProperty("requestedBy").GetString());
        Assert.Equal("quarterly forecast needs the big model", entry.GetProperty("request").GetProperty("justification").GetString());
        Assert.Equal(50m, entry.GetProperty("price").GetProperty("outputPer1M").GetDecimal());
        Assert.True(entry.TryGetProperty("age", out _));
        await fx.Api.Get("/api/access-requests?status=sideways", 400, approver);
    }

    [Fact]
    public async Task approvers_hear_of_a_new_request_and_the_requesters_app_of_the_decision()
    {
        await using var approvers = new WebhookReceiver();
        await using var requesters = new WebhookReceiver();
        await approvers.StartAsync();
        await requesters.StartAsync();
        var (model, key, app) = await RestrictedModel(approvals: 1);
        await Put("/api/webhooks/approvers", new { url = approvers.Url, secret = "approvers-secret-0123456789" });
        await Put($"/api/apps/{app}/webhook", new { url = requesters.Url, secret = "requesters-secret-0123456789" });
        var owner = await Operator(OperatorRoles.AppOwner, app);
        var approver = await Operator(OperatorRoles.Approver);

        var id = await Request(model, key.Id, owner);
        var announced = await approvers.WaitForAsync(b => b.GetProperty("requestId").GetString() == id, 1, TimeSpan.FromSeconds(30));
        Assert.Equal("access.requested", Assert.Single(announced).GetProperty("type").GetString());
        var announcement = approvers.Received.Single(d => d.Body.GetProperty("requestId").GetString() == id);
        WebhookReceiver.AssertSigned("approvers-secret-0123456789", fx.Clock.GetUtcNow(), announcement.Signature, announcement.Raw);

        await fx.Api.Post($"/api/access-requests/{id}/approve", new { comment = "go" }, 200, approver);
        var decided = await requesters.WaitForAsync(b => b.GetProperty("requestId").GetString() == id, 1, TimeSpan.FromSeconds(30));
        var notice = Assert.Single(decided);
        Assert.Equal("access.decided", notice.GetProperty("type").GetString());
        Assert.Equal("granted", notice.GetProperty("status").GetString());
        var decision = requesters.Received.Single(d => d.Body.GetProperty("requestId").GetString() == id);
        WebhookReceiver.AssertSigned("requesters-secret-0123456789", fx.Clock.GetUtcNow(), decision.Signature, decision.Raw);
    }
}
