using System.Text.Json;
using Marten;

namespace Governance.Tests.Integration;

[Collection(GovernanceCollection.Name)]
public sealed class when_spend_raises_alerts(GovernanceFixture fx)
{
    private const string Secret = "webhook-shared-secret-0123456789";

    private Task Put(string url, object body) => fx.Api.Scenario(s =>
    {
        s.Put.Json(body).ToUrl(url);
        s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
        s.StatusCodeShouldBe(200);
    });

    private static object Usage(string keyId, string model, long output) => new
    {
        requestId = Api.RequestId(), keyId, model, inputTokens = 0, cachedTokens = 0, outputTokens = output, reasoningTokens = 0, latencyMs = 5, status = 200,
    };

    [Fact]
    public async Task a_threshold_alert_fires_once_per_window_and_reaches_a_receiver_that_was_down()
    {
        await using var receiver = new WebhookReceiver();
        var model = await fx.ProviderAndModel(inputPrice: 0m, outputPrice: 50m);
        var app = Api.Unique("app");
        var issued = await fx.IssueKey(app, model);
        await Put($"/api/apps/{app}/webhook", new { url = receiver.Url, secret = Secret });
        await Put($"/api/budgets/key/{issued.Id}", new { limit = 0.10m, period = "monthly", thresholds = new[] { 50, 100 } });

        // The receiver is down while the thresholds are crossed.
        await fx.Api.Post("/api/usage", Usage(issued.Id, model, 1000), 200);
        await fx.Api.Post("/api/usage", Usage(issued.Id, model, 1000), 200);
        await fx.Api.Post("/api/usage", Usage(issued.Id, model, 1000), 200);
        // Both alerts were tried and failed: each waits, scheduled for its retry.
        await Wait.For(() => fx.PendingMessagesAbout(issued.Id), pending => pending.GetValueOrDefault("Scheduled") == 2,
            "both threshold alerts to fail against the receiver that is down");
        await receiver.StartAsync();

        bool Ours(JsonElement body) => body.GetProperty("owner").GetString() == issued.Id;
        var delivered = await receiver.WaitForAsync(Ours, 2, TimeSpan.FromSeconds(90));
        // Nothing about this key is left to deliver: no third alert can still arrive.
        await fx.MessagesHandledAbout(issued.Id);

        Assert.Equal([50, 100], receiver.Received.Select(r => r.Body).Where(Ours).Select(b => b.GetProperty("percent").GetInt32()).Order());
        var (body, signature, raw) = receiver.Received.First(r => Ours(r.Body));
        Assert.Equal("budget.threshold_crossed", body.GetProperty("type").GetString());
        Assert.Equal(app, body.GetProperty("app").GetString());
        Assert.Equal(2, delivered.Count);
        // t=<unix seconds>,v1=<HMAC-SHA-256 of "<t>." followed by the body>: a receiver can refuse an old delivery replayed.
        WebhookReceiver.AssertSigned(Secret, fx.Clock.GetUtcNow(), signature, raw);

        await using var session = fx.Store.QuerySession();
        var window = (await fx.Api.Get($"/api/budgets/key/{issued.Id}").Json()).GetProperty("windowStart").GetDateTimeOffset();
        var events = await session.Events.FetchStreamAsync($"budget:key:{issued.Id}:monthly-{window.UtcDateTime:yyyy-MM-dd}");
        Assert.Equal(2, events.Count(e => e.EventTypeName == "budget_threshold_crossed"));
    }

    [Fact]
    public async Task a_spend_spike_suspends_a_key_whose_policy_says_so()
    {
        var model = await fx.ProviderAndModel(inputPrice: 0m, outputPrice: 10m);
        var guarded = await fx.IssueKey(Api.Unique("app"), model);
        var unguarded = await fx.IssueKey(Api.Unique("app"), model);
        await Put($"/api/keys/{guarded.Id}/policy", new { suspendOnAnomaly = true });

        // $20 in one hour against no history: above the $10 floor and 10× a zero average.
        await fx.Api.Post("/api/usage", Usage(guarded.Id, model, 2_000_000), 200);
        await fx.Api.Post("/api/usage", Usage(unguarded.Id, model, 2_000_000), 200);

        var key = await Wait.For(() => fx.Api.Get($"/api/keys/{guarded.Id}").Json(), k => k.GetProperty("status").GetString() == "suspended",
            "the guarded key to be suspended");
        Assert.StartsWith("spend anomaly", key.GetProperty("statusReason").GetString());
        var other = await Wait.For(() => fx.Api.Get($"/api/keys/{unguarded.Id}").Json(), k => k.GetProperty("lastAnomalyAt").ValueKind != JsonValueKind.Null,
            "the unguarded key's anomaly to be recorded");
        Assert.Equal("active", other.GetProperty("status").GetString());

        await using var session = fx.Store.QuerySession();
        var history = await session.Events.FetchStreamAsync(guarded.Id);
        var detected = history.Single(e => e.EventTypeName == "spend_anomaly_detected");
        Assert.Equal("system:anomaly-detector", ((Governance.Domain.Keys.SpendAnomalyDetected)detected.Data).DetectedBy);
        Assert.Equal(20m, ((Governance.Domain.Keys.SpendAnomalyDetected)detected.Data).LastHourSpend);
    }

    [Fact]
    public async Task ordinary_spend_raises_no_anomaly()
    {
        var model = await fx.ProviderAndModel(inputPrice: 0m, outputPrice: 10m);
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        await Put($"/api/keys/{issued.Id}/policy", new { suspendOnAnomaly = true });

        await fx.Api.Post("/api/usage", Usage(issued.Id, model, 100_000), 200);
        // The anomaly check of that usage has run (and found nothing) once its message is handled.
        await fx.MessagesHandledAbout(issued.Id);

        var key = await fx.Api.Get($"/api/keys/{issued.Id}").Json();
        Assert.Equal("active", key.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, key.GetProperty("lastAnomalyAt").ValueKind);
    }
}
