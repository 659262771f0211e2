using System.Net.Http.Headers;
using System.Text.Json;
using Governance.Api.Admin;
using Governance.Api.Catalog;
using Governance.Domain.Alerts;
using Governance.Domain.Catalog;
using Governance.Domain.Leaks;
using Governance.Domain.Operators;
using Governance.Hosting.Audit;
using Governance.Hosting.Secrets;
using Governance.Projections.Approvals;
using Governance.Projections.Leases;
using Governance.Store.Budgets;
using Governance.Store.Leases;
using Governance.Tests.Domain;
using Governance.Tests.Integration.Leaks;
using Marten;
using Npgsql;
using ProxyAdapter.Governance;
using Wolverine;

namespace Governance.Tests.Integration.Audit;

/// <summary>
/// A realistic history through every entry point (operators over HTTP, the proxy, scheduled handlers, start-up
/// services) writes every event type the store maps, and each event names its actor and its correlation id.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_every_event_is_attributed(GovernanceFixture fx)
{
    private readonly List<string> _sent = [];

    /// <summary>An API call with its own correlation id, remembered so the events it wrote can be matched to it.</summary>
    private async Task<JsonElement> Call(HttpMethod method, string url, object? body, string token, int status = 200)
    {
        var correlationId = "flow-" + Guid.NewGuid().ToString("N");
        _sent.Add(correlationId);
        using var client = fx.Api.Server.CreateClient();
        using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("x-correlation-id", correlationId);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"{method} {url}: {(int)response.StatusCode} {text}");
        Assert.Equal(correlationId, response.Headers.GetValues("x-correlation-id").Single());
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement;
    }

    private Task<JsonElement> Post(string url, object? body, string token = GovernanceFixture.AdminToken, int status = 200) => Call(HttpMethod.Post, url, body, token, status);
    private Task<JsonElement> Put(string url, object body, string token = GovernanceFixture.AdminToken) => Call(HttpMethod.Put, url, body, token);

    private async Task<(string Id, string Token)> Operator(string role, params string[] apps)
    {
        var created = await Post("/api/operators", new { name = Api.Unique(role), roles = new[] { role }, apps }, status: 201);
        return (created.GetProperty("id").GetString()!, created.GetProperty("token").GetString()!);
    }

    private async Task Invoke(object message)
    {
        using var scope = fx.Api.Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<IMessageBus>().InvokeAsync(message);
    }

    [Fact]
    public async Task every_event_type_names_who_when_and_on_behalf_of_which_request()
    {
        var start = await HighestSequence();
        await using var receiver = new WebhookReceiver();
        await receiver.StartAsync();
        var app = Api.Unique("audit-app");

        // Operators, catalog, a key through its whole life, budgets and alerts.
        var approver = await Operator(OperatorRoles.Approver);
        var owner = await Operator(OperatorRoles.AppOwner, app);
        var adapter = await Operator(OperatorRoles.Adapter);
        var spare = await Operator(OperatorRoles.Auditor);
        await Post($"/api/operators/{spare.Id}/revoke", new { reason = "left the team" });
        var provider = Api.Unique("prov");
        await Post("/api/providers", new { name = provider, kind = "openai", baseUrl = fx.Upstream.BaseUrl, apiKey = "sk-" + provider + "-old" }, status: 201);
        await Put($"/api/providers/{provider}/key", new { apiKey = "sk-" + provider });
        var model = Api.Unique("model");
        await Post("/api/models", new { name = model, provider, upstreamModel = "gpt-4o-mini", inputPricePer1M = 0m, outputPricePer1M = 10m }, status: 201);
        await Put($"/api/prices/{model}", new { inputPer1M = 0m, outputPer1M = 10m, source = "contract" });
        var standby = Api.Unique("model");
        await Post("/api/models", new { name = standby, provider, upstreamModel = "gpt-4o-mini", inputPricePer1M = 0m, outputPricePer1M = 10m }, status: 201);
        await Put($"/api/models/{standby}/deployments", new { deployments = new[] { new { provider, upstreamModel = "gpt-4o-mini", weight = 1 } } });
        await Put($"/api/models/{model}/fallbacks", new { fallbacks = new[] { standby } });
        await Put($"/api/model-groups/{Api.Unique("group")}", new { members = new[] { model, standby }, strategy = "cost-based" });
        var key = await Post("/api/keys", new { app, name = "billing", models = new[] { model } }, owner.Token, 201);
        var keyId = key.GetProperty("id").GetString()!;
        await Put($"/api/apps/{app}", new { team = Api.Unique("team") });
        await Put($"/api/apps/{app}/webhook", new { url = receiver.Url, secret = "webhook-secret-0123456789abcdef" });
        await Put($"/api/apps/{app}/leak-policy", new { policy = "alert" });
        await Put($"/api/budgets/key/{keyId}", new { limit = 1m, period = "monthly", thresholds = new[] { 50 } });
        await Put($"/api/keys/{keyId}/models", new { models = new[] { "*" } }, owner.Token);
        await Put($"/api/keys/{keyId}/policy", new { suspendOnAnomaly = true }, owner.Token);
        await Put($"/api/keys/{keyId}/limits", new { requestsPerMinute = 600, tokensPerMinute = 1_000_000, maxParallel = 20 });
        await Post($"/api/keys/{keyId}/suspend", new { reason = "investigating" }, owner.Token);
        await Post($"/api/keys/{keyId}/resume", null, owner.Token);
        var secret = (await Post($"/api/keys/{keyId}/rotate", new { gracePeriodSeconds = 60 }, owner.Token)).GetProperty("key").GetString()!;

        // An application's call through the proxy: hold, forward, capture.
        using (var proxy = fx.ProxyClient())
        using (var call = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
               { Content = JsonContent.Create(new { model, max_tokens = 100, messages = new[] { new { role = "user", content = "hi" } } }) })
        {
            var correlationId = "flow-proxy-" + Guid.NewGuid().ToString("N");
            _sent.Add(correlationId);
            call.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
            call.Headers.Add("x-correlation-id", correlationId);
            Assert.Equal(200, (int)(await proxy.SendAsync(call)).StatusCode);
        }

        // A third-party gateway holds the worst case and reports against its reservation: hold, capture. (The proxy
        // itself decides under budget leases.)
        var held = await Post("/api/authorize", new { key = secret, model, maxInputTokens = 0, maxOutputTokens = 100 }, adapter.Token);
        await Post("/api/usage", new
        {
            requestId = Api.RequestId(), keyId, model, inputTokens = 0, cachedTokens = 0, outputTokens = 10, reasoningTokens = 0, latencyMs = 5, status = 200,
            reservationId = held.GetProperty("reservationId").GetString(),
        }, adapter.Token);

        // An adapter reports usage past the 50% threshold; another holds and never reports, so its hold expires.
        await Post("/api/usage", Usage(keyId, model, 60_000), adapter.Token);
        var hold = await Post("/api/authorize", new { key = secret, model, maxInputTokens = 0, maxOutputTokens = 1000 }, adapter.Token);
        // A refused call leaves a trace too; an adapter's refusals from the headers, a count per minute.
        await Post("/api/authorize", new { key = secret, model = Api.Unique("no-such-model"), maxInputTokens = 0, maxOutputTokens = 10 }, adapter.Token);
        var now = fx.Clock.GetUtcNow();
        await Post("/api/refusals", new
        {
            adapterId = adapter.Id, incarnation = "0123456789abcdef", minute = new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero),
            counts = new[] { new { reason = "unknown_key", keyId = (string?)null, count = 3 } },
        }, adapter.Token);
        fx.Clock.Advance(TimeSpan.FromMinutes(11));
        await Invoke(new ExpireReservation(hold.GetProperty("reservationId").GetString()!));

        // Budget leases: adapter A leases the headroom, renews, draws on it and returns part of it; adapter B's need recalls
        // it; what A still holds expires.
        var edgeA = await Operator(OperatorRoles.Adapter);
        var edgeB = await Operator(OperatorRoles.Adapter);
        var lease = await Post("/api/leases", new { adapterId = edgeA.Id, keyId, need = 0.01m, want = 0.40m }, edgeA.Token);
        var leaseId = lease.GetProperty("slices")[0].GetProperty("leaseId").GetString()!;
        await Post($"/api/leases/{leaseId}/renew", new { }, edgeA.Token);
        await Post("/api/usage", new
        {
            requestId = Api.RequestId(), keyId, model, inputTokens = 0, cachedTokens = 0, outputTokens = 1000, reasoningTokens = 0, latencyMs = 5,
            status = 200, leaseIds = new[] { leaseId },
        }, edgeA.Token);
        await Post("/api/leases", new { adapterId = edgeB.Id, keyId, need = 0.05m }, edgeB.Token);
        await Post($"/api/leases/{leaseId}/return", new { unused = 0.10m }, edgeA.Token);
        fx.Clock.Advance(TimeSpan.FromMinutes(5));
        await Invoke(new ExpireLease(leaseId));

        // A spend spike ($20 in an hour against nothing before): the anomaly check suspends the key on its own.
        await Post("/api/usage", Usage(keyId, model, 2_000_000), adapter.Token);
        await Wait.For(async () => (await Events(start)).Any(e => e.Type == "spend_anomaly_detected" && e.Stream == keyId), "the anomaly check to flag the key");

        // Approvals: granted then revoked, rejected, withdrawn, granted until it expires, and one nobody decides.
        var restricted = Api.Unique("model");
        await Post("/api/models", new { name = restricted, provider, upstreamModel = "gpt-4o", inputPricePer1M = 0m, outputPricePer1M = 50m }, status: 201);
        await Put($"/api/models/{restricted}/policy", new { restricted = true, approvalsRequired = 1, maxGrantDays = 7, undecidedExpiryDays = 1 });
        var second = (await Post("/api/keys", new { app, name = "forecast", models = new[] { restricted } }, owner.Token, 201)).GetProperty("id").GetString()!;
        async Task<string> Request() => (await Post("/api/access-requests",
            new { keyId = second, model = restricted, justification = "quarterly forecast", durationDays = 1 }, owner.Token, 201)).GetProperty("id").GetString()!;
        var revoked = await Request();
        await Post($"/api/access-requests/{revoked}/approve", new { comment = "ok" }, approver.Token);
        await Post($"/api/grants/{revoked}/revoke", new { reason = "no longer needed" });
        await Post($"/api/access-requests/{await Request()}/reject", new { reason = "too expensive" }, approver.Token);
        await Post($"/api/access-requests/{await Request()}/withdraw", null, owner.Token);
        var expiring = await Request();
        await Post($"/api/access-requests/{expiring}/approve", new { comment = "one day" }, approver.Token);
        var undecided = await Request();
        fx.Clock.Advance(TimeSpan.FromDays(2));
        await Invoke(new ExpireGrant(expiring));
        await Invoke(new LapseAccessRequest(undecided));

        // Attribution: the key's own tags, and an end user's readable id erased (docs/attribution.md).
        await Put($"/api/keys/{second}/tags", new { tags = new[] { "project:apollo" } });
        await Post("/api/end-users/erase", new { app = "audit-app-" + second, user = "someone@example.com" });
        await Post($"/api/keys/{second}/revoke", new { reason = "project over" }, owner.Token);
        // A secret-scanning service reports the key leaked (signed, no operator token): the app's policy only alerts.
        Assert.Equal(200, (await LeakReporter.ReportAsync(fx, LeakReporter.Ecdsa(fx), LeakReporter.Token(secret))).Status);
        await RotateLegacySecrets(receiver.Url);
        await Post("/api/audit/checkpoints", null, status: 201);

        var events = await Events(start);
        // Ours, not Marten's own (archived, tombstone). The archive's events need an archive directory and a history older than
        // the horizon: when_request_history_is_archived checks who and on behalf of which request they name.
        var mapped = fx.Store.Options.Events.AllKnownEventTypes()
            .Where(t => t.EventType.Namespace!.StartsWith("Governance.", StringComparison.Ordinal)
                && t.EventType.Namespace != typeof(Governance.Domain.Archive.RequestEventsArchived).Namespace)
            .Select(t => t.EventTypeName).ToHashSet();
        Assert.Empty(mapped.Except(events.Select(e => e.Type)));

        var operators = new[] { GovernanceFixture.AdminToken }.Select(OperatorToken.IdFor).Concat([approver.Id, owner.Id, adapter.Id, edgeA.Id, edgeB.Id]).ToHashSet();
        Assert.All(events, e =>
        {
            Assert.False(string.IsNullOrEmpty(e.Actor), $"{e.Type} #{e.Sequence} has no actor");
            Assert.False(string.IsNullOrEmpty(e.CorrelationId), $"{e.Type} #{e.Sequence} has no correlation id");
            if (operators.Contains(e.Actor!) || e.Actor!.StartsWith("adapter:", StringComparison.Ordinal))
                Assert.Contains(e.CorrelationId, _sent);
            // The proxy's own token: leases asked for a client's call carry that call's correlation id; its background
            // work (renewals, recall answers, returns) carries its own.
            else if (e.Actor == fx.AdapterOperators["test-adapter"])
                Assert.True(_sent.Contains(e.CorrelationId!) || e.CorrelationId!.StartsWith(GovernanceClient.OwnCorrelationPrefix, StringComparison.Ordinal),
                    $"{e.Type} #{e.Sequence} by the proxy has correlation id {e.CorrelationId}");
            else
                Assert.StartsWith("system:", e.Actor);
            Assert.NotEqual("system:unattributed", e.Actor);
        });
        string ActorOf(string type) => events.First(e => e.Type == type).Actor!;
        Assert.Equal(new[] { "adapter:test-adapter", adapter.Id, edgeA.Id }.Order(),
            events.Where(e => e.Type == "request_completed").Select(e => e.Actor).Distinct().Order());
        // Per-request holds are the third-party gateway path; the proxy leases.
        Assert.Equal(adapter.Id, events.First(e => e.Type == "hold_captured").Actor);
        Assert.Equal(owner.Id, ActorOf("key_rotated"));
        Assert.Equal(approver.Id, ActorOf("access_approved"));
        Assert.Equal("system:hold-expiry", ActorOf("reservation_expired"));
        Assert.Equal("system:grant-expiry", ActorOf("grant_expired"));
        Assert.Equal("system:access-request-lapse", ActorOf("access_request_lapsed"));
        Assert.Equal("system:anomaly-check", ActorOf("spend_anomaly_detected"));
        Assert.Contains(edgeA.Id, events.Where(e => e.Type == "lease_granted").Select(e => e.Actor));
        Assert.Equal(edgeB.Id, ActorOf("lease_recalled"));
        Assert.Equal("system:lease-expiry", ActorOf("lease_expired"));
        Assert.Equal(adapter.Id, ActorOf("request_denied"));
        // Also the minutes of the proxy and of the API node (system:api-refusals) when the clock moved past them.
        Assert.Contains(adapter.Id, events.Where(e => e.Type == "refusals_counted").Select(e => e.Actor));
        Assert.Equal(MasterKeyRotation.Actor, ActorOf("provider_key_reencrypted"));
        Assert.Equal(MasterKeyRotation.Actor, ActorOf("webhook_secret_reencrypted"));
        Assert.Equal(ProviderFingerprints.Actor, ActorOf("provider_key_fingerprinted"));
        Assert.Equal(LeakReport.Actor, ActorOf("leak_reported"));
        Assert.True(fx.Verify(await fx.Export()).Intact);
    }

    /// <summary>
    /// What <c>rotate-master-key</c> runs, in this deployment: it re-encrypts what is not under the current key, here a
    /// provider key and a webhook secret written as before ciphertexts named their key (appended as such history was).
    /// </summary>
    private async Task RotateLegacySecrets(string webhookUrl)
    {
        var provider = Api.Unique("prov");
        var scope = Webhook.AppScope(Api.Unique("legacy-app"));
        using (AuditContext.Begin(new AuditActor("system:legacy-history", "legacy-" + Guid.NewGuid().ToString("N"))))
        await using (var session = fx.Store.LightweightSession())
        {
            session.Events.StartStream<Provider>(provider, new ProviderRegistered(provider, ProviderKinds.OpenAi, fx.Upstream.BaseUrl,
                LegacyCiphertext.Of(fx.MasterKey, "sk-" + provider, provider), "system:legacy-history", fx.Clock.GetUtcNow()));
            session.Events.StartStream<Webhook>(Webhook.StreamId(scope), new WebhookConfigured(scope, webhookUrl,
                LegacyCiphertext.Of(fx.MasterKey, "webhook-secret-0123456789abcdef", scope), "system:legacy-history", fx.Clock.GetUtcNow()));
            await session.SaveChangesAsync();
        }
        var report = await MasterKeyRotation.RunAsync(fx.Store, new SecretProtector(fx.MasterKey), fx.Clock.GetUtcNow(), default);
        Assert.Contains($"provider {provider}", report.Providers);
        // What an API node does at start-up for a provider registered before key fingerprints.
        Assert.Contains(provider, (await ProviderFingerprints.RunAsync(fx.Store, new SecretProtector(fx.MasterKey), fx.Clock.GetUtcNow(), default)).Recorded);
    }

    [Fact]
    public async Task start_up_services_name_their_reason()
    {
        var events = await Events(0);

        Assert.Equal("system:bootstrap", events.First(e => e.Type == "operator_token_issued").Actor);
        Assert.All(events.Where(e => e.Type == "price_set" && e.Actor!.StartsWith("system:", StringComparison.Ordinal)),
            e => Assert.Equal("system:catalog-seed", e.Actor));
        Assert.Contains(events, e => e.Actor == "system:catalog-seed");
    }

    private sealed record Row(long Sequence, string Stream, string Type, string? Actor, string? CorrelationId);

    private static object Usage(string keyId, string model, long output) => new
    {
        requestId = Api.RequestId(), keyId, model, inputTokens = 0, cachedTokens = 0, outputTokens = output, reasoningTokens = 0, latencyMs = 5, status = 200,
    };

    private async Task<long> HighestSequence()
    {
        await using var connection = new NpgsqlConnection(fx.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"select coalesce(max(seq_id), 0) from {fx.Schema}.mt_events", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<List<Row>> Events(long after) =>
        AuditExports.Lines(await fx.Export($"/api/audit/events?after={after}"))
            .Select(l => new Row(l.GetProperty("sequence").GetInt64(), l.GetProperty("stream").GetString()!, l.GetProperty("type").GetString()!,
                l.GetProperty("actor").GetString(), l.GetProperty("correlationId").GetString()))
            .ToList();
}
