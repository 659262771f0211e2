using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Governance.Domain.Operators;

namespace Governance.Tests.Integration.Roles;

/// <summary>
/// The role matrix: every endpoint of the running API, called by every role and by callers without a valid token.
/// "Allowed" means authorization let the call through and the API answered it: a 2xx, or a 4xx other than 401/403
/// with a problem body (a 400 for an empty body will do). A 5xx is never allowed: it is our bug, whoever calls.
/// A new endpoint without a row here fails <see cref="every_endpoint_of_the_api_has_a_row"/>.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed partial class when_every_endpoint_is_called_by_every_role(GovernanceFixture fx)
{
    private const string Admin = OperatorRoles.Admin, Approver = OperatorRoles.Approver, Auditor = OperatorRoles.Auditor,
        AppOwner = OperatorRoles.AppOwner, Adapter = OperatorRoles.Adapter, Responder = OperatorRoles.Responder;
    private static readonly string[] Anyone = ["anonymous"];

    /// <summary>
    /// Authenticated by a signature over the body, not by an operator token (<c>POST /api/leaks</c>): every caller here, an
    /// admin's token included, is refused 401 (when_leaks_are_reported proves the signed call).
    /// </summary>
    private static readonly string[] Signed = ["signed"];
    private static readonly string[] Readers = [Admin, Auditor, Approver, AppOwner];

    /// <summary>Ids the rows call with: all of app A, whose app-owner is one of the callers; <see cref="Other"/> is app B's.</summary>
    private sealed record World(
        string App, string KeyId, string Model, string OperatorId, string AccessRequestId, Dictionary<string, string?> Tokens, OtherApp Other);

    /// <summary>App B, which A's app-owner must neither see nor change: a key, a pending request, a grant, a denied request.</summary>
    private sealed record OtherApp(string App, string KeyId, string PendingRequestId, string GrantId, string DeniedRequestId);

    /// <summary>What A's app-owner gets for B's resources: <see cref="Status"/>, and for a list, none of B's ids in it.</summary>
    private sealed record CrossAppRow(string Method, Func<World, string> Url, Func<World, object?> Body, int Status, Func<World, string[]>? Hidden = null)
    {
        public string Name(World w) => $"{Method} {Url(w)}";
    }

    private static readonly CrossAppRow[] CrossApp =
    [
        new("GET", w => $"/api/access-requests/{w.Other.PendingRequestId}", _ => null, 404),
        new("GET", w => $"/api/access-requests/{w.Other.GrantId}", _ => null, 404),
        new("POST", w => $"/api/access-requests/{w.Other.PendingRequestId}/withdraw", _ => new { }, 404),
        new("GET", _ => "/api/access-requests", _ => null, 200, w => [w.Other.PendingRequestId, w.Other.GrantId]),
        new("GET", _ => "/api/access-requests?status=pending", _ => null, 200, w => [w.Other.PendingRequestId]),
        new("POST", _ => "/api/access-requests",
            w => new { keyId = w.Other.KeyId, model = w.Model, justification = "not mine", durationDays = 1 }, 404),
        new("POST", _ => "/api/access-requests",
            w => new { app = w.Other.App, model = w.Model, justification = "not mine", durationDays = 1 }, 403),
        new("GET", _ => "/api/grants", _ => null, 200, w => [w.Other.GrantId]),
        new("GET", w => $"/api/grants?app={w.Other.App}", _ => null, 200, w => [w.Other.GrantId]),
        new("GET", w => $"/api/grants?key={w.Other.KeyId}", _ => null, 200, w => [w.Other.GrantId]),
        new("POST", w => $"/api/grants/{w.Other.GrantId}/revoke", _ => new { reason = "not mine" }, 403),
        new("GET", w => $"/api/requests/{w.Other.DeniedRequestId}/explanation", _ => null, 404),
    ];

    private sealed record Row(string Method, string Pattern, string[] Roles, Func<World, string> Url)
    {
        public string Name => $"{Method} {Pattern}";
    }

    private static readonly Row[] Table =
    [
        new("GET", "/health", Anyone, _ => "/health"),
        new("GET", "/openapi/{documentName}.json", Anyone, _ => "/openapi/v1.json"),
        new("GET", "/health/live", Anyone, _ => "/health/live"),
        new("GET", "/health/ready", Anyone, _ => "/health/ready"),
        new("GET", "/metrics", Anyone, _ => "/metrics"),
        new("GET", "/docs", Anyone, _ => "/docs"),
        new("GET", "/docs/{file}", Anyone, _ => "/docs/explorer.js"),
        new("GET", "/ui", Anyone, _ => "/ui"),
        new("GET", "/ui/{file}", Anyone, _ => "/ui/app.js"),
        new("GET", "/api/me", [Admin, Approver, Auditor, AppOwner, Adapter, Responder], _ => "/api/me"),

        new("POST", "/api/providers", [Admin], _ => "/api/providers"),
        new("GET", "/api/providers", Readers, _ => "/api/providers"),
        new("PUT", "/api/providers/{name}/key", [Admin], _ => "/api/providers/matrix-provider/key"),
        new("POST", "/api/providers/match", [Admin], _ => "/api/providers/match"),
        new("POST", "/api/models", [Admin], _ => "/api/models"),
        new("GET", "/api/models", Readers, _ => "/api/models"),
        new("GET", "/api/models/{name}", Readers, w => $"/api/models/{w.Model}"),
        new("PUT", "/api/models/{name}/deployments", [Admin], w => $"/api/models/{w.Model}/deployments"),
        new("PUT", "/api/models/{name}/fallbacks", [Admin], w => $"/api/models/{w.Model}/fallbacks"),
        new("GET", "/api/models/{name}/routing", Readers, w => $"/api/models/{w.Model}/routing"),
        new("PUT", "/api/model-groups/{name}", [Admin], _ => "/api/model-groups/matrix-group"),
        new("GET", "/api/model-groups/{name}", Readers, _ => "/api/model-groups/matrix-group"),
        new("GET", "/api/model-groups", Readers, _ => "/api/model-groups"),
        new("PUT", "/api/prices/{model}", [Admin], w => $"/api/prices/{w.Model}"),
        new("GET", "/api/prices/{model}", Readers, w => $"/api/prices/{w.Model}"),
        new("POST", "/api/prices/import", [Admin], _ => "/api/prices/import"),

        new("POST", "/api/keys", [Admin, AppOwner], _ => "/api/keys"),
        new("GET", "/api/keys", Readers, w => $"/api/keys?app={w.App}"),
        new("GET", "/api/keys/{id}", [.. Readers, Responder], w => $"/api/keys/{w.KeyId}"),
        new("GET", "/api/keys/{id}/requests", Readers, w => $"/api/keys/{w.KeyId}/requests"),
        new("POST", "/api/keys/{id}/revoke", [Admin, AppOwner, Responder], w => $"/api/keys/{w.KeyId}/revoke"),
        new("POST", "/api/keys/{id}/suspend", [Admin, AppOwner, Responder], w => $"/api/keys/{w.KeyId}/suspend"),
        new("POST", "/api/keys/{id}/resume", [Admin, AppOwner], w => $"/api/keys/{w.KeyId}/resume"),
        new("POST", "/api/keys/{id}/rotate", [Admin, AppOwner], w => $"/api/keys/{w.KeyId}/rotate"),
        new("PUT", "/api/keys/{id}/models", [Admin, AppOwner], w => $"/api/keys/{w.KeyId}/models"),
        new("PUT", "/api/keys/{id}/policy", [Admin, AppOwner], w => $"/api/keys/{w.KeyId}/policy"),
        new("PUT", "/api/keys/{id}/limits", [Admin], w => $"/api/keys/{w.KeyId}/limits"),
        new("PUT", "/api/keys/{id}/tags", [Admin], w => $"/api/keys/{w.KeyId}/tags"),
        new("POST", "/api/end-users/erase", [Admin], _ => "/api/end-users/erase"),

        new("PUT", "/api/budgets/{level}/{id}", [Admin], w => $"/api/budgets/app/{w.App}"),
        new("GET", "/api/budgets/{level}/{id}", [Admin, Auditor, AppOwner], w => $"/api/budgets/key/{w.KeyId}"),
        new("GET", "/api/budgets", [Admin, Auditor, AppOwner], _ => "/api/budgets"),
        new("PUT", "/api/apps/{app}", [Admin], w => $"/api/apps/{w.App}"),
        new("GET", "/api/apps/{app}", [Admin, Auditor, AppOwner], w => $"/api/apps/{w.App}"),
        new("PUT", "/api/webhooks/global", [Admin], _ => "/api/webhooks/global"),
        new("PUT", "/api/webhooks/approvers", [Admin], _ => "/api/webhooks/approvers"),
        new("PUT", "/api/apps/{app}/webhook", [Admin], w => $"/api/apps/{w.App}/webhook"),
        new("PUT", "/api/apps/{app}/leak-policy", [Admin], w => $"/api/apps/{w.App}/leak-policy"),
        new("POST", "/api/leaks", Signed, _ => "/api/leaks"),

        new("GET", "/api/spend", [Admin, Auditor], _ => "/api/spend?by=app"),
        new("GET", "/api/spend/top", [Admin, Auditor], _ => "/api/spend/top?by=app"),
        new("GET", "/api/spend/export", [Admin, Auditor], _ => "/api/spend/export?by=app"),
        new("GET", "/api/requests", [Admin, Auditor], _ => "/api/requests"),
        new("GET", "/api/alerts", [Admin, Auditor], _ => "/api/alerts"),

        new("POST", "/api/authorize", [Admin, Adapter], _ => "/api/authorize"),
        new("POST", "/api/usage", [Admin, Adapter], _ => "/api/usage"),
        new("POST", "/api/denials", [Admin, Adapter], _ => "/api/denials"),
        new("POST", "/api/refusals", [Admin, Adapter], _ => "/api/refusals"),
        new("POST", "/api/leases", [Adapter], _ => "/api/leases"),
        new("POST", "/api/leases/{id}/renew", [Adapter], _ => "/api/leases/lse_nosuchlease/renew"),
        new("POST", "/api/leases/{id}/return", [Adapter], _ => "/api/leases/lse_nosuchlease/return"),
        new("POST", "/api/rate-leases", [Adapter], _ => "/api/rate-leases"),
        new("GET", "/api/feed", [Admin, Adapter], _ => "/api/feed?wait=false"),
        new("GET", "/api/feed/snapshot", [Adapter], _ => "/api/feed/snapshot"),

        new("POST", "/api/operators", [Admin], _ => "/api/operators"),
        new("GET", "/api/operators", [Admin, Auditor], _ => "/api/operators"),
        new("GET", "/api/operators/{id}", [Admin, Auditor], w => $"/api/operators/{w.OperatorId}"),
        new("POST", "/api/operators/{id}/revoke", [Admin], w => $"/api/operators/{w.OperatorId}/revoke"),

        new("PUT", "/api/models/{name}/policy", [Admin], w => $"/api/models/{w.Model}/policy"),
        new("POST", "/api/access-requests", [Admin, AppOwner], _ => "/api/access-requests"),
        new("GET", "/api/access-requests", [Admin, Approver, Auditor, AppOwner], _ => "/api/access-requests"),
        new("GET", "/api/access-requests/{id}", [Admin, Approver, Auditor, AppOwner], w => $"/api/access-requests/{w.AccessRequestId}"),
        new("POST", "/api/access-requests/{id}/approve", [Approver], w => $"/api/access-requests/{w.AccessRequestId}/approve"),
        new("POST", "/api/access-requests/{id}/reject", [Approver], w => $"/api/access-requests/{w.AccessRequestId}/reject"),
        new("POST", "/api/access-requests/{id}/withdraw", [Admin, AppOwner], w => $"/api/access-requests/{w.AccessRequestId}/withdraw"),
        new("GET", "/api/grants", [Admin, Approver, Auditor, AppOwner], _ => "/api/grants"),
        new("POST", "/api/grants/{id}/revoke", [Admin, Approver], w => $"/api/grants/{w.AccessRequestId}/revoke"),

        new("GET", "/api/audit/events", [Admin, Auditor], _ => "/api/audit/events?limit=1"),
        new("GET", "/api/audit/streams/{streamId}", [Admin, Auditor], w => $"/api/audit/streams/{w.KeyId}"),
        new("POST", "/api/audit/checkpoints", [Admin], _ => "/api/audit/checkpoints"),
        new("POST", "/api/archive/runs", [Admin], _ => "/api/archive/runs"),
        new("GET", "/api/archive/segments", [Admin, Auditor], _ => "/api/archive/segments"),
        new("POST", "/api/archive/segments/{segment}/restore", [Admin], _ => "/api/archive/segments/requests-0000000000000000001-0000000000000000002.parquet/restore"),
        new("POST", "/api/archive/segments/{segment}/delete", [Admin], _ => "/api/archive/segments/requests-0000000000000000001-0000000000000000002.parquet/delete"),
        new("GET", "/api/models/{name}/policy", Readers, w => $"/api/models/{w.Model}/policy"),

        new("GET", "/api/requests/{requestId}/explanation", [Admin, Auditor, AppOwner], _ => "/api/requests/req_matrix/explanation"),
        new("POST", "/api/admin/projections/rebuild", [Admin], _ => "/api/admin/projections/rebuild"),

        new("POST", "/api/migrations/litellm", [Admin], _ => "/api/migrations/litellm"),
        new("POST", "/key/generate", [Admin], _ => "/key/generate"),
        new("GET", "/key/info", [Admin], w => $"/key/info?key={w.KeyId}"),
        new("POST", "/key/delete", [Admin], _ => "/key/delete"),
        new("POST", "/key/block", [Admin], _ => "/key/block"),
        new("POST", "/key/unblock", [Admin], _ => "/key/unblock"),
    ];


    /// <summary>The callers of every row: each role, then a caller without a token and one with a revoked admin token.</summary>
    private static readonly string[] Callers = [Admin, Approver, Auditor, AppOwner, Adapter, Responder, "no token", "revoked token"];

    public static TheoryData<string> Rows() => new(Table.Select(r => r.Name));

    [Fact]
    public void every_endpoint_of_the_api_has_a_row()
    {
        var running = fx.Api.RunningEndpoints();

        var missing = running.Where(e => Table.All(r => r.Name != e)).ToList();
        var stale = Table.Select(r => r.Name).Where(r => !running.Contains(r)).ToList();

        Assert.True(missing.Count == 0, "Endpoints without a row in the role matrix: " + string.Join(", ", missing));
        Assert.True(stale.Count == 0, "Rows for endpoints the API does not have: " + string.Join(", ", stale));
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task each_caller_is_allowed_exactly_what_its_row_says(string endpoint)
    {
        var row = Table.Single(r => r.Name == endpoint);
        var world = await WorldFor(fx);

        List<string> wrong = [];
        foreach (var caller in Callers)
        {
            var result = await fx.Api.Send(row.Method, row.Url(world), row.Method == "GET" ? null : new { }, world.Tokens[caller]);
            var status = result.Context.Response.StatusCode;
            var expected = Expected(row, caller);
            var ok = expected is null ? Answered(status, result.Context.Response.ContentType) : status == expected;
            if (!ok)
                wrong.Add($"{caller}: got {status} ({result.Context.Response.ContentType}), expected " +
                    (expected?.ToString() ?? "allowed: a 2xx, or a 4xx other than 401/403 with a problem body"));
        }

        Assert.True(wrong.Count == 0, $"{endpoint}:\n" + string.Join("\n", wrong));
    }

    [Fact]
    public async Task an_app_owner_neither_sees_nor_changes_another_apps_requests_grants_and_explanations()
    {
        var world = await WorldFor(fx);
        using var client = fx.Api.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", world.Tokens[AppOwner]);

        List<string> wrong = [];
        foreach (var row in CrossApp)
        {
            using var request = new HttpRequestMessage(new HttpMethod(row.Method), row.Url(world))
                { Content = row.Body(world) is { } body ? JsonContent.Create(body) : null };
            using var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            if ((int)response.StatusCode != row.Status)
                wrong.Add($"{row.Name(world)}: got {(int)response.StatusCode}, expected {row.Status}: {text}");
            else if (row.Hidden?.Invoke(world).FirstOrDefault(text.Contains) is { } leaked)
                wrong.Add($"{row.Name(world)}: lists app B's '{leaked}'");
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        // B's pending request is still pending, its grant still active.
        var pending = await fx.Api.Get($"/api/access-requests/{world.Other.PendingRequestId}").Json();
        Assert.Equal("pending", pending.GetProperty("request").GetProperty("status").GetString());
        var grant = await fx.Api.Get($"/api/access-requests/{world.Other.GrantId}").Json();
        Assert.True(grant.GetProperty("request").GetProperty("active").GetBoolean());
    }

    /// <summary>Let through and answered: a success, or a refusal of the call itself (not of the caller) that says why.</summary>
    private static bool Answered(int status, string? contentType) =>
        status is >= 200 and < 400 || (status is >= 400 and < 500 and not (401 or 403) && contentType?.StartsWith("application/problem+json") == true);

    /// <summary>Null when the caller must get through; otherwise the refusal it must get.</summary>
    private static int? Expected(Row row, string caller) =>
        row.Roles == Anyone ? null
        : row.Roles == Signed ? 401
        : caller is "no token" or "revoked token" ? 401
        : row.Roles.Contains(caller) ? null
        : 403;

    private static readonly ConcurrentDictionary<GovernanceFixture, Lazy<Task<World>>> Worlds = new();

    private static Task<World> WorldFor(GovernanceFixture fx) => Worlds.GetOrAdd(fx, f => new Lazy<Task<World>>(() => Build(f))).Value;

    private static async Task<World> Build(GovernanceFixture fx)
    {
        var app = Api.Unique("matrix-app");
        var model = await fx.ProviderAndModel();
        var key = await fx.IssueKey(app, model);
        await fx.Api.Scenario(s =>
        {
            s.Put.Json(new { limit = 10m, period = "monthly" }).ToUrl($"/api/budgets/key/{key.Id}");
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
        });

        var auditor = await fx.IssueOperator(Auditor);
        var revoked = await fx.IssueOperator(Admin);
        await fx.Api.Post($"/api/operators/{revoked.Id}/revoke", new { reason = "matrix" }, 200);
        var appOwner = (await fx.IssueAppOwner(app)).Token;
        // A restricted model and a pending request by the app-owner (so the requester may withdraw it).
        await fx.Api.Scenario(s =>
        {
            s.Put.Json(new { restricted = true, approvalsRequired = 1, maxGrantDays = 7 }).ToUrl($"/api/models/{model}/policy");
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
        });
        var accessRequest = await fx.Api.Post("/api/access-requests",
            new { keyId = key.Id, model, justification = "matrix", durationDays = 1 }, 201, appOwner).Json();
        var tokens = new Dictionary<string, string?>
        {
            [Admin] = GovernanceFixture.AdminToken,
            [Approver] = (await fx.IssueOperator(Approver)).Token,
            [Auditor] = auditor.Token,
            [AppOwner] = appOwner,
            [Adapter] = (await fx.IssueOperator(Adapter)).Token,
            [Responder] = (await fx.IssueOperator(Responder)).Token,
            ["no token"] = null,
            ["revoked token"] = revoked.Token,
        };
        return new World(app, key.Id, model, auditor.Id, accessRequest.GetProperty("id").GetString()!, tokens,
            await OtherAppAsync(fx, model, tokens[Approver]!));
    }

    private static async Task<OtherApp> OtherAppAsync(GovernanceFixture fx, string model, string approver)
    {
        var app = Api.Unique("matrix-other");
        var key = await fx.IssueKey(app, model);
        var pending = await fx.Api.Post("/api/access-requests",
            new { keyId = key.Id, model, justification = "B's pending request", durationDays = 1 }, 201).Json();
        var granted = (await fx.Api.Post("/api/access-requests",
            new { app, model, justification = "B's grant", durationDays = 1 }, 201).Json()).GetProperty("id").GetString()!;
        await fx.Api.Post($"/api/access-requests/{granted}/approve", new { comment = "ok" }, 200, approver);
        var denied = await fx.Api.Post("/api/authorize", new { key = key.Key, model = "not-in-scope" }, 200).Json();
        return new OtherApp(app, key.Id, pending.GetProperty("id").GetString()!, granted, denied.GetProperty("denialId").GetString()!);
    }
}
