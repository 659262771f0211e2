using System.Security.Cryptography;
using Governance.Domain.Keys;
using Governance.Domain.Secrets;
using Governance.Tests.Integration.Leaks;
using Governance.Tests.Integration.Proxy;

namespace Governance.Tests.Integration.Sweep;

/// <summary>
/// The malformed-body sweep: every write endpoint of the API gets, field by field, wrong types, nulls, missing fields,
/// huge and negative numbers and 100,000-character strings, and as a whole non-JSON, an empty body, a wrong content
/// type, 10,000 nested arrays and a body past the size limit. Each must be a 4xx problem (the field named where one is at
/// fault), never a 5xx; afterwards the row's valid body still succeeds. A new write endpoint without a row fails
/// <see cref="every_write_endpoint_has_a_row"/>. The proxy's endpoints have their sweep in
/// <see cref="when_proxy_endpoints_get_malformed_bodies"/>.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_write_endpoints_get_malformed_bodies(GovernanceFixture fx)
{
    /// <summary>Write endpoints that read no body at all: there is nothing to malform.</summary>
    private static readonly Dictionary<string, string> WithoutBody = new()
    {
        ["POST /api/keys/{id}/resume"] = "resumes; reads no body",
        ["POST /api/access-requests/{id}/withdraw"] = "withdraws; reads no body",
        ["POST /api/audit/checkpoints"] = "signs a checkpoint; reads no body",
        ["POST /api/admin/projections/rebuild"] = "rebuilds every projection; reads no body",
        ["POST /api/archive/runs"] = "archives what is past the horizon; reads no body",
        ["POST /api/archive/segments/{segment}/restore"] = "restores a segment; reads no body",
    };

    /// <summary>
    /// Write endpoints swept by their own tests, because this shared fixture cannot give them a valid call: deleting a segment
    /// needs an archive (when_request_history_is_archived.a_missing_or_altered_segment_is_named_and_a_deleted_one_keeps_the_chain
    /// sends it bodies without a usable reason).
    /// </summary>
    private static readonly string[] SweptElsewhere = ["POST /api/archive/segments/{segment}/delete"];

    /// <summary><see cref="Signed"/>: no operator token, each body signed with the leak-report secret (<c>POST /api/leaks</c>).</summary>
    private const string Admin = "admin", Approver = "approver", Adapter = "adapter", Signed = "signed";

    private static readonly SweepRow<SweepWorld>[] Rows =
    [
        new("POST", "/api/providers", Admin, w => Call("/api/providers",
            new { name = Api.Unique("sweep"), kind = "openai", baseUrl = w.Fx.Upstream.BaseUrl, apiKey = "sk-sweep" })),
        new("PUT", "/api/providers/{name}/key", Admin, async w => new SweepCall($"/api/providers/{await w.Fx.Provider(w.Fx.Upstream.BaseUrl)}/key",
            new { apiKey = "sk-sweep-" + Api.Unique("rotated") })),
        new("POST", "/api/providers/match", Admin, _ => Call("/api/providers/match", new { fingerprints = new[] { SecretFingerprint.Of("sk-sweep") } })),
        new("POST", "/api/models", Admin, w => Call("/api/models",
            new { name = Api.Unique("sweep"), provider = w.Provider, upstreamModel = "gpt-4o-mini", inputPricePer1M = 0.15m, outputPricePer1M = 0.6m, cachedInputPricePer1M = 0.075m }),
            Optional: ["inputPricePer1M", "outputPricePer1M", "cachedInputPricePer1M"]),
        new("PUT", "/api/models/{name}/deployments", Admin, w => Call($"/api/models/{w.Model}/deployments",
            new { deployments = new[] { new { provider = w.Provider, upstreamModel = "gpt-4o-mini", weight = 1 } } }),
            Optional: ["deployments[0].weight"]),
        new("PUT", "/api/models/{name}/fallbacks", Admin, w => Call($"/api/models/{w.Model}/fallbacks", new { fallbacks = new[] { w.OtherModel } })),
        new("PUT", "/api/model-groups/{name}", Admin, w => Call($"/api/model-groups/{Api.Unique("sweep")}", new { members = new[] { w.Model }, strategy = "cost-based" })),
        new("PUT", "/api/prices/{model}", Admin, w => Call($"/api/prices/{w.OtherModel}",
            new { inputPer1M = 0.15m, outputPer1M = 0.6m, cachedInputPer1M = 0.075m, source = "sweep" }),
            Optional: ["cachedInputPer1M", "source"]),
        // A third party's price file: an entry it cannot read is skipped with a reason, not a refusal of the whole file.
        new("POST", "/api/prices/import", Admin, w => Call("/api/prices/import",
            new Dictionary<string, object> { [w.OtherModel] = new { input_cost_per_token = 0.0000002m, output_cost_per_token = 0.0000008m } }),
            Optional: ["*"], Lenient: true, SizeLimited: false),

        new("POST", "/api/keys", Admin, w => Call("/api/keys",
            new { app = w.App, name = "sweep", models = new[] { w.Model }, rateLimits = new { requestsPerMinute = 60, tokensPerMinute = 10_000, maxParallel = 2 } }),
            Optional: ["rateLimits", "rateLimits.requestsPerMinute", "rateLimits.tokensPerMinute", "rateLimits.maxParallel"]),
        new("POST", "/api/keys/{id}/revoke", Admin, async w => new SweepCall($"/api/keys/{await w.NewKeyAsync()}/revoke", new { reason = "sweep" })),
        new("POST", "/api/keys/{id}/suspend", Admin, async w => new SweepCall($"/api/keys/{await w.NewKeyAsync()}/suspend", new { reason = "sweep" })),
        new("POST", "/api/keys/{id}/rotate", Admin, async w => new SweepCall($"/api/keys/{await w.NewKeyAsync()}/rotate", new { gracePeriodSeconds = 60 })),
        new("PUT", "/api/keys/{id}/models", Admin, async w => new SweepCall($"/api/keys/{await w.NewKeyAsync()}/models", new { models = new[] { w.Model, w.OtherModel } })),
        new("PUT", "/api/keys/{id}/policy", Admin, async w => new SweepCall($"/api/keys/{await w.NewKeyAsync()}/policy", new { suspendOnAnomaly = true })),
        new("PUT", "/api/keys/{id}/limits", Admin, async w => new SweepCall($"/api/keys/{await w.NewKeyAsync()}/limits",
            new { requestsPerMinute = 60, tokensPerMinute = 10_000, maxParallel = 2 }), Optional: ["*"]),
        new("PUT", "/api/keys/{id}/tags", Admin, async w => new SweepCall($"/api/keys/{await w.NewKeyAsync()}/tags",
            new { tags = new[] { "env:prod" }, requiredTags = new[] { "project" } }), Optional: ["*"]),
        new("POST", "/api/end-users/erase", Admin, w => Call("/api/end-users/erase", new { app = w.App, user = "sweep-user" })),

        new("PUT", "/api/budgets/{level}/{id}", Admin, async w => new SweepCall($"/api/budgets/key/{await w.NewKeyAsync()}",
            new { limit = 5m, period = "monthly", thresholds = new[] { 50, 80 } }), Optional: ["thresholds"]),
        new("PUT", "/api/apps/{app}", Admin, w => Call($"/api/apps/{w.App}", new { team = Api.Unique("team") }), Optional: ["team"]),
        new("PUT", "/api/webhooks/global", Admin, w => Call("/api/webhooks/global", Webhook(w))),
        new("PUT", "/api/webhooks/approvers", Admin, w => Call("/api/webhooks/approvers", Webhook(w))),
        new("PUT", "/api/apps/{app}/webhook", Admin, w => Call($"/api/apps/{w.App}/webhook", Webhook(w))),
        new("PUT", "/api/apps/{app}/leak-policy", Admin, w => Call($"/api/apps/{w.App}/leak-policy", new { policy = "alert" })),
        // A secret-scanning service's report (one token or an array of them): a key never issued, so nothing is revoked.
        new("POST", "/api/leaks", Signed, _ => Call("/api/leaks",
            new { token = KeyFormat.NewKey(KeyFormat.NewKeyId()), type = "governance_virtual_key", url = "https://example.com/sweep", source = "content" }),
            Optional: ["url", "source"], Batch: true),

        new("POST", "/api/authorize", Admin, w => Call("/api/authorize",
            new { key = w.Key, model = w.Model, maxInputTokens = 100, maxOutputTokens = 100 }), Optional: ["maxInputTokens", "maxOutputTokens"]),
        // Batches: one record or an array of them (a big batch is legitimately more than a megabyte).
        new("POST", "/api/usage", Admin, w => Call("/api/usage",
            new { requestId = Api.RequestId(), keyId = w.KeyId, model = w.Model, inputTokens = 10, cachedTokens = 0, outputTokens = 10, reasoningTokens = 0, latencyMs = 5, status = 200 }),
            Batch: true),
        new("POST", "/api/denials", Admin, w => Call("/api/denials",
            new { requestId = Api.RequestId(), keyId = w.KeyId, app = w.App, model = w.Model, reason = "budget_exceeded" }),
            Optional: ["keyId", "app"], Batch: true),
        new("POST", "/api/refusals", Adapter, w => Call("/api/refusals",
            new
            {
                adapterId = w.AdapterId, incarnation = RandomNumberGenerator.GetHexString(16, lowercase: true), minute = StartOfMinute(w.Fx.Clock.GetUtcNow()),
                counts = new[] { new { reason = "unknown_key", count = 3 } },
            }),
            Batch: true),
        new("POST", "/api/leases", Adapter, w => Call("/api/leases",
            new { adapterId = w.AdapterId, keyId = w.BudgetedKeyId, model = w.Model, need = 0.001m, want = 0.002m, recall = true }),
            Optional: ["model", "want", "recall"]),
        new("POST", "/api/rate-leases", Adapter, w => Call("/api/rate-leases",
            new
            {
                adapterId = w.AdapterId, keyId = w.KeyId, requests = 1, wantRequests = 10, tokens = 100, wantTokens = 1_000, parallel = 1,
                @return = new { slot = 1, requests = 0, tokens = 0 },
            }),
            Optional: ["wantRequests", "wantTokens", "return"]),
        new("POST", "/api/leases/{id}/renew", Adapter, async w => new SweepCall($"/api/leases/{await w.NewLeaseAsync()}/renew", new { want = 0.002m }),
            Optional: ["want"]),
        new("POST", "/api/leases/{id}/return", Adapter, async w => new SweepCall($"/api/leases/{await w.NewLeaseAsync()}/return", new { unused = 0m, grants = 1 }),
            Optional: ["grants"]),

        new("POST", "/api/operators", Admin, w => Call("/api/operators",
            new { name = Api.Unique("sweep"), person = "sweeper", roles = new[] { "app-owner" }, apps = new[] { w.App }, expiresAt = w.Fx.Clock.GetUtcNow().AddDays(30) }),
            Optional: ["person", "expiresAt"]),
        new("POST", "/api/operators/{id}/revoke", Admin, async w => new SweepCall($"/api/operators/{await w.NewOperatorAsync()}/revoke", new { reason = "sweep" })),

        new("PUT", "/api/models/{name}/policy", Admin, w => Call($"/api/models/{w.OtherModel}/policy",
            new { restricted = false, approvalsRequired = 1, maxGrantDays = 7, spendCap = 5m, undecidedExpiryDays = 3 }),
            Optional: ["spendCap", "undecidedExpiryDays"]),
        new("POST", "/api/access-requests", Admin, w => Call("/api/access-requests",
            new { keyId = w.KeyId, model = w.RestrictedModel, justification = "sweep", durationDays = 1, spendCap = 1m }), Optional: ["spendCap"]),
        new("POST", "/api/access-requests/{id}/approve", Approver, async w => new SweepCall($"/api/access-requests/{await w.NewAccessRequestAsync()}/approve",
            new { comment = "fine" }), Optional: ["comment"]),
        new("POST", "/api/access-requests/{id}/reject", Approver, async w => new SweepCall($"/api/access-requests/{await w.NewAccessRequestAsync()}/reject",
            new { reason = "no" })),
        new("POST", "/api/grants/{id}/revoke", Admin, async w => new SweepCall($"/api/grants/{await w.NewGrantAsync()}/revoke", new { reason = "sweep" })),

        new("POST", "/api/migrations/litellm", Admin, _ => Call("/api/migrations/litellm", "model_list: []\n"), Kind: BodyKind.Yaml),
        new("POST", "/key/generate", Admin, w => Call("/key/generate",
            new { models = new[] { w.Model }, max_budget = 5m, budget_duration = "30d", rpm_limit = 60, tpm_limit = 1000, max_parallel_requests = 2, duration = "7d", key_alias = "sweep", team_id = w.App, metadata = new { owner = "sweep" } }),
            Optional: ["*"], FreeForm: ["metadata"]),
        new("POST", "/key/delete", Admin, async w => new SweepCall("/key/delete", new { keys = new[] { await w.NewKeyAsync() } })),
        new("POST", "/key/block", Admin, async w => new SweepCall("/key/block", new { key = await w.NewKeyAsync() })),
        new("POST", "/key/unblock", Admin, async w => new SweepCall("/key/unblock", new { key = await w.NewKeyAsync() })),
    ];

    private static Task<SweepCall> Call(string url, object body) => Task.FromResult(new SweepCall(url, body));

    private static object Webhook(SweepWorld w) => new { url = w.Fx.Upstream.BaseUrl + "/hook", secret = "a-webhook-secret-of-some-length" };

    public static TheoryData<string> RowNames() => new(Rows.Select(r => r.Name));

    [Fact]
    public void every_write_endpoint_has_a_row() => SweepRun.AssertEveryWriteHasARow(fx.Api, Rows.Select(r => r.Name), [.. WithoutBody.Keys, .. SweptElsewhere], "API");

    [Theory]
    [MemberData(nameof(RowNames))]
    public async Task each_malformed_body_is_a_4xx_naming_the_field_never_a_5xx(string endpoint)
    {
        var row = Rows.Single(r => r.Name == endpoint);
        var world = await SweepWorld.For(fx);
        var target = row.Caller == Signed
            ? new SweepTarget(fx.Api.Server.CreateClient(), null, SweepTarget.ProblemDetails, Sign: body => LeakReporter.Hmac(fx)(body))
            : new SweepTarget(fx.Api.Server.CreateClient(), world.Tokens[row.Caller], SweepTarget.ProblemDetails);

        var wrong = await SweepRun.RunAsync(row, world, target);

        Assert.True(wrong.Count == 0, $"{endpoint}:\n" + string.Join("\n", wrong));
    }

    private static DateTimeOffset StartOfMinute(DateTimeOffset at) => new(at.UtcTicks - at.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero);
}
