using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Governance.Domain.Operators;
using Governance.Tests.Integration.Roles;
using static Governance.Tests.Integration.Audit.AuditApi;

namespace Governance.Tests.Integration.Audit;

/// <summary>
/// GET /api/requests/{id}/explanation: why a call was allowed or denied, with the state it was decided on as it was then,
/// not as it is now.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_a_request_is_explained(GovernanceFixture fx)
{
    /// <summary>A model whose output costs $50/1M and input nothing, so a 1,000-token hold is exactly $0.05.</summary>
    private Task<string> FiveCentModel() => fx.ProviderAndModel(inputPrice: 0m, outputPrice: 50m);

    /// <summary>One chat completion through the proxy; returns its status and the request id the proxy gave it.</summary>
    private async Task<(HttpStatusCode Status, string RequestId)> Call(string key, string model, long maxTokens = 1000)
    {
        using var client = fx.ProxyClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model, max_tokens = maxTokens, messages = new[] { new { role = "user", content = "hi" } } }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await client.SendAsync(request);
        return (response.StatusCode, response.Headers.GetValues("x-request-id").Single());
    }

    /// <summary>A third-party gateway's allow/deny (POST /api/authorize).</summary>
    private async Task<JsonElement> Authorize(string key, string model) =>
        await fx.Api.Post("/api/authorize", new { key, model, maxInputTokens = 0, maxOutputTokens = 10 }, 200).Json();

    private Task<JsonElement> Explain(string requestId, HttpStatusCode expected = HttpStatusCode.OK, string token = GovernanceFixture.AdminToken) =>
        fx.GetJson($"/api/requests/{requestId}/explanation", expected, token);

    private static Dictionary<string, bool> Checks(JsonElement explanation) =>
        explanation.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("passed").GetBoolean());

    private static JsonElement Level(JsonElement explanation, string level) =>
        explanation.GetProperty("budgets").EnumerateArray().Single(b => b.GetProperty("level").GetString() == level);

    [Fact]
    public async Task an_allowed_call_shows_the_key_price_and_budgets_of_its_moment_not_todays()
    {
        var model = await FiveCentModel();
        var app = Api.Unique("app");
        var key = await fx.IssueKey(app, model);
        await fx.Put($"/api/budgets/key/{key.Id}", new { limit = 1m, period = "monthly" });
        await fx.Put($"/api/budgets/app/{app}", new { limit = 2m, period = "monthly" });
        var (status, requestId) = await Call(key.Key, model);
        Assert.Equal(HttpStatusCode.OK, status);

        // Everything the decision rested on changes afterwards.
        fx.Clock.Advance(TimeSpan.FromMinutes(5));
        await fx.Put($"/api/prices/{model}", new { inputPer1M = 1m, outputPer1M = 100m });
        await fx.Put($"/api/budgets/key/{key.Id}", new { limit = 5m, period = "monthly" });
        await fx.Api.Post($"/api/keys/{key.Id}/revoke", new { reason = "rotated out" }, 200);

        var explanation = await Explain(requestId);
        Assert.Equal("allowed", explanation.GetProperty("decision").GetString());
        Assert.Equal("active", explanation.GetProperty("key").GetProperty("status").GetString());
        Assert.Equal(1, explanation.GetProperty("price").GetProperty("version").GetInt32());
        Assert.Equal(50m, explanation.GetProperty("price").GetProperty("outputPer1M").GetDecimal());
        Assert.Equal(0.05m, explanation.GetProperty("worstCaseCost").GetDecimal());
        // What each level had left before this call's own hold.
        Assert.Equal((1m, 1m), (Level(explanation, "key").GetProperty("limit").GetDecimal(), Level(explanation, "key").GetProperty("remaining").GetDecimal()));
        Assert.Equal((2m, 2m), (Level(explanation, "app").GetProperty("limit").GetDecimal(), Level(explanation, "app").GetProperty("remaining").GetDecimal()));
        Assert.All(Checks(explanation), c => Assert.True(c.Value, c.Key));
        Assert.Equal(FakeUpstream.CompletionTokens * 50m / 1_000_000m, explanation.GetProperty("outcome").GetProperty("cost").GetDecimal());
        Assert.Equal(200, explanation.GetProperty("outcome").GetProperty("status").GetInt32());
        Assert.StartsWith("adapter:", explanation.GetProperty("recordedBy").GetString());
    }

    [Fact]
    public async Task a_call_the_budget_could_not_cover_names_the_level_and_what_it_had_left()
    {
        var model = await FiveCentModel();
        var app = Api.Unique("app");
        var key = await fx.IssueKey(app, model);
        await fx.Put($"/api/budgets/key/{key.Id}", new { limit = 1m, period = "monthly" });
        await fx.Put($"/api/budgets/app/{app}", new { limit = 0.03m, period = "monthly" });

        var (status, requestId) = await Call(key.Key, model);
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        await fx.Put($"/api/budgets/app/{app}", new { limit = 10m, period = "monthly" });

        var explanation = await Explain(requestId);
        Assert.Equal("denied", explanation.GetProperty("decision").GetString());
        Assert.Equal("budget_exceeded", explanation.GetProperty("reason").GetString());
        Assert.Equal("app", explanation.GetProperty("shortfall").GetProperty("level").GetString());
        Assert.Equal(0.03m, explanation.GetProperty("shortfall").GetProperty("remaining").GetDecimal());
        Assert.Equal(0.05m, explanation.GetProperty("worstCaseCost").GetDecimal());
        Assert.Equal(0.03m, Level(explanation, "app").GetProperty("limit").GetDecimal());
        var checks = Checks(explanation);
        Assert.True(checks["budget_key"]);
        Assert.False(checks["budget_app"]);
        Assert.True(checks["key_status"]);
    }

    [Fact]
    public async Task a_gateways_refusal_of_a_revoked_or_garbage_key_is_counted_and_has_no_denial_id_to_explain()
    {
        var model = await FiveCentModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await fx.Api.Post($"/api/keys/{key.Id}/revoke", new { reason = "leaked in a public repo" }, 200);

        var revoked = await Authorize(key.Key, model);
        var garbage = await Authorize("sk-not-even-ours", model);

        // Refusals of the key itself are counted per API node and minute (refusals_counted), as the proxy counts them.
        Assert.Equal(("revoked", key.Id, JsonValueKind.Null),
            (revoked.GetProperty("reason").GetString(), revoked.GetProperty("keyId").GetString(), revoked.GetProperty("denialId").ValueKind));
        Assert.Equal(("unknown_key", JsonValueKind.Null, JsonValueKind.Null),
            (garbage.GetProperty("reason").GetString(), garbage.GetProperty("keyId").ValueKind, garbage.GetProperty("denialId").ValueKind));
    }

    [Fact]
    public async Task a_gateway_denial_for_a_restricted_model_is_explained_by_the_missing_grant_and_a_later_call_by_its_grant()
    {
        var model = await FiveCentModel();
        await fx.Put($"/api/models/{model}/policy", new { restricted = true, approvalsRequired = 1, maxGrantDays = 7, spendCap = 1m });
        var app = Api.Unique("app");
        var key = await fx.IssueKey(app, model);

        var denied = await Authorize(key.Key, model);
        Assert.Equal("approval_required", denied.GetProperty("reason").GetString());
        var refusal = await Explain(denied.GetProperty("denialId").GetString()!);
        Assert.True(refusal.GetProperty("policy").GetProperty("restricted").GetBoolean());
        Assert.Equal(JsonValueKind.Null, refusal.GetProperty("grant").ValueKind);
        Assert.False(Checks(refusal)["grant"]);

        var request = await fx.Api.Post("/api/access-requests",
            new { keyId = key.Id, model, justification = "quarter close", durationDays = 2 }, 201).Json();
        var grantId = request.GetProperty("id").GetString()!;
        await fx.Api.Post($"/api/access-requests/{grantId}/approve", new { comment = "ok" }, 200, (await fx.IssueOperator(OperatorRoles.Approver)).Token);
        var (status, requestId) = await Call(key.Key, model);
        Assert.Equal(HttpStatusCode.OK, status);
        await fx.Api.Post($"/api/grants/{grantId}/revoke", new { reason = "done" }, 200);

        var allowed = await Explain(requestId);
        Assert.Equal(grantId, allowed.GetProperty("grant").GetProperty("id").GetString());
        Assert.True(allowed.GetProperty("grant").GetProperty("active").GetBoolean());
        Assert.True(Checks(allowed)["grant"]);
        Assert.Equal(1m, Level(allowed, "grant").GetProperty("limit").GetDecimal());
    }

    [Fact]
    public async Task a_priced_model_without_a_route_is_explained_as_unknown_to_the_proxy()
    {
        // gpt-4o is priced by the default catalog but no provider serves it here.
        var key = await fx.IssueKey(Api.Unique("app"), "gpt-4o");
        var (status, requestId) = await Call(key.Key, "gpt-4o");
        Assert.Equal(HttpStatusCode.NotFound, status);

        var explanation = await Explain(requestId);
        Assert.Equal("unknown_model", explanation.GetProperty("reason").GetString());
        Assert.False(Checks(explanation)["model_registered"]);
        Assert.True(Checks(explanation)["model_in_scope"]);
        Assert.Equal("Priced, but not routed to a provider.",
            explanation.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "model_registered").GetProperty("detail").GetString());
    }

    [Fact]
    public async Task a_gateways_denial_for_a_model_out_of_scope_is_explained_to_auditors_and_unknown_to_other_apps_owners()
    {
        var model = await FiveCentModel();
        var app = Api.Unique("app");
        var key = await fx.IssueKey(app, model);
        var requestId = (await Authorize(key.Key, await FiveCentModel())).GetProperty("denialId").GetString()!;

        var auditor = (await fx.IssueOperator(OperatorRoles.Auditor)).Token;
        var explanation = await Explain(requestId, token: auditor);
        Assert.Equal("model_not_allowed", explanation.GetProperty("reason").GetString());
        Assert.Equal(key.Id, explanation.GetProperty("keyId").GetString());
        Assert.True(Checks(explanation)["credential"]);
        Assert.False(Checks(explanation)["model_in_scope"]);
        Assert.DoesNotContain(key.Key, explanation.GetRawText());
        Assert.Equal(app, (await Explain(requestId, token: (await fx.IssueAppOwner(app)).Token)).GetProperty("app").GetString());
        await Explain(requestId, HttpStatusCode.NotFound, (await fx.IssueAppOwner(Api.Unique("app"))).Token);
    }

    [Fact]
    public async Task a_call_the_proxy_refused_from_its_headers_alone_is_counted_not_explained_one_by_one()
    {
        var model = await FiveCentModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await fx.Api.Post($"/api/keys/{key.Id}/revoke", new { reason = "leaked in a public repo" }, 200);

        var (garbage, garbageId) = await Call("sk-not-even-ours", model);
        var (revoked, revokedId) = await Call(key.Key, model);

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (garbage, revoked));
        // Their bodies were never read: no model to explain. They are in the minute's refusals_counted (by key id for the revoked key).
        await Explain(garbageId, HttpStatusCode.NotFound);
        await Explain(revokedId, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task an_app_owner_gets_explanations_for_its_own_apps_only()
    {
        var model = await FiveCentModel();
        var mine = Api.Unique("app");
        var theirs = Api.Unique("app");
        var (_, ownCall) = await Call((await fx.IssueKey(mine, model)).Key, model);
        var (_, otherCall) = await Call((await fx.IssueKey(theirs, model)).Key, model);
        var owner = (await fx.IssueAppOwner(mine)).Token;

        Assert.Equal(mine, (await Explain(ownCall, token: owner)).GetProperty("app").GetString());
        await Explain(otherCall, HttpStatusCode.NotFound, owner);
        await Explain("req_" + Guid.NewGuid().ToString("N"), HttpStatusCode.NotFound);
    }
}
