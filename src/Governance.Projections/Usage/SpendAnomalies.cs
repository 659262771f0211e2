using Governance.Domain.Keys;
using Governance.Hosting.Secrets;
using Governance.Projections.Alerts;
using Marten;
using Microsoft.Extensions.Logging;
using Wolverine;
using Wolverine.Attributes;

namespace Governance.Projections.Usage;

/// <summary>Look at the recent spend of the keys a batch touched; one message per batch, published by the ledger.</summary>
public sealed record CheckSpendAnomaly(IReadOnlyList<string> KeyIds, DateTimeOffset At);

/// <summary>
/// Checks each key at most once per interval on this node: summing a busy key's last hour after every batch cost more
/// than writing the batch (docs/benchmarks.md). With N nodes a key is checked at most N times per interval.
/// </summary>
public sealed class AnomalyThrottle(TimeSpan interval)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _lastChecked = new();

    public bool ShouldCheck(string keyId, DateTimeOffset at)
    {
        var last = _lastChecked.GetOrAdd(keyId, DateTimeOffset.MinValue);
        return at - last >= interval && _lastChecked.TryUpdate(keyId, at, last);
    }
}

public sealed record SpendAnomalyAlert(SpendAnomalyDetected Detected, string App, bool Suspended);

/// <summary>
/// Spend spike detection (a leaked key quietly running up a bill): compares the key's spend in the last hour with
/// its trailing hourly average, appends the anomaly to the key's stream, suspends the key when its policy says so,
/// and alerts through the durable outbox.
/// </summary>
[WolverineHandler]
public static class SpendAnomalies
{
    public const string Actor = "system:anomaly-detector";

    public static async Task Handle(
        CheckSpendAnomaly check, IDocumentSession session, IMessageBus bus, AnomalyRule rule, AnomalyThrottle throttle, CancellationToken ct)
    {
        foreach (var keyId in check.KeyIds.Where(k => throttle.ShouldCheck(k, check.At)))
            await CheckAsync(session, bus, rule, keyId, check.At, ct);
    }

    private static async Task CheckAsync(IDocumentSession session, IMessageBus bus, AnomalyRule rule, string keyId, DateTimeOffset at, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<VirtualKey>(keyId, ct);
        if (stream.Aggregate is not { } key)
            return;
        var lastHourStart = at.AddHours(-1);
        var lastHour = await SpendAsync(session, key.Id, lastHourStart, at, ct);
        if (lastHour <= rule.Floor)
            return;
        var trailing = await SpendAsync(session, key.Id, lastHourStart.AddHours(-rule.TrailingHours), lastHourStart, ct);

        var events = rule.Decide(key, lastHour, trailing, Actor, at);
        if (events.Length == 0)
            return;
        stream.AppendMany(events);
        await bus.PublishAsync(new SpendAnomalyAlert(events.OfType<SpendAnomalyDetected>().Single(), key.App, events.OfType<KeySuspended>().Any()));
    }

    private static async Task<decimal> SpendAsync(IQuerySession session, string keyId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        // (from, to]: the request recorded at the very instant of the check belongs to the last hour.
        return await RequestLog.TotalCostAsync(session, new RequestFilter(KeyId: keyId, After: from, Until: to), ct);
    }

    public static Task Handle(
        SpendAnomalyAlert alert, IQuerySession session, IHttpClientFactory clients, SecretProtector secrets, TimeProvider clock,
        ILogger<SpendAnomalyAlert> log, CancellationToken ct) =>
        WebhookDelivery.SendAsync(session, clients, secrets, clock, log, alert.App, new
        {
            type = "key.spend_anomaly",
            keyId = alert.Detected.KeyId,
            app = alert.App,
            lastHourSpend = alert.Detected.LastHourSpend,
            trailingHourlyAverage = alert.Detected.TrailingHourlyAverage,
            multiplier = alert.Detected.Multiplier,
            floor = alert.Detected.Floor,
            suspended = alert.Suspended,
            detectedAt = alert.Detected.DetectedAt,
        }, ct);
}
