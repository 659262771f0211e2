using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ProxyAdapter.Observability;

/// <summary>Leases this adapter holds for one kind of budget scope (key, app, team), for the lease gauges.</summary>
public readonly record struct LeaseReading(string ScopeKind, long Leases, decimal HeadroomUsd);

/// <summary>Usage reports and denials written locally and not yet acknowledged by the governance API.</summary>
public readonly record struct UsageBufferReading(long Records, long Bytes, TimeSpan OldestAge);

/// <summary>
/// The proxy's own series (docs/observability.md). Label values are closed sets or operator-chosen names — API
/// surface, decision, denial reason, deployment id (<c>provider/upstream-model</c>), HTTP status — never a key, key id,
/// token or prompt. The lease and buffer gauges read whatever the budget-lease and usage-journal code registers in
/// <see cref="Leases"/> and <see cref="UsageBuffer"/>; unset, they report nothing.
/// </summary>
public sealed class GatewayMetrics
{
    public const string MeterName = "Governance.Proxy";

    private readonly Counter<long> _requests;
    private readonly Counter<long> _decisions;
    private readonly Histogram<double> _decisionDuration;
    private readonly Histogram<double> _upstreamDuration;
    private readonly Counter<long> _upstreamErrors;

    public GatewayMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _requests = meter.CreateCounter<long>("gov.proxy.requests", description: "Proxied API calls answered, by API surface and HTTP status.");
        _decisions = meter.CreateCounter<long>("gov.proxy.decisions", description: "Allow/deny decisions, by decision and denial reason.");
        _decisionDuration = meter.CreateHistogram<double>("gov.proxy.decision.duration", "s",
            "Time from a call's arrival to its allow/deny (key, model and budget hold), by decision.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] });
        _upstreamDuration = meter.CreateHistogram<double>("gov.proxy.upstream.duration", "s",
            "Time from sending to a deployment until its response headers (or the failure), by deployment and outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] });
        _upstreamErrors = meter.CreateCounter<long>("gov.proxy.upstream.errors", description: "Failed attempts on a deployment, by deployment and reason.");

        meter.CreateObservableGauge("gov.proxy.leases", () => Read(Leases).Select(l => new Measurement<long>(l.Leases, Tag("scope", l.ScopeKind))),
            description: "Budget leases this adapter holds, by scope kind.");
        meter.CreateObservableGauge("gov.proxy.lease.headroom_usd", () => Read(Leases).Select(l => new Measurement<double>((double)l.HeadroomUsd, Tag("scope", l.ScopeKind))),
            description: "Unspent USD across the leases this adapter holds, by scope kind.");
        meter.CreateObservableGauge("gov.proxy.usage_buffer.records", () => ReadBuffer(b => b.Records),
            description: "Usage reports and denials written locally, not yet acknowledged by the governance API.");
        meter.CreateObservableGauge("gov.proxy.usage_buffer.size", () => ReadBuffer(b => b.Bytes), "By",
            description: "Bytes of the local usage buffer not yet acknowledged.");
        meter.CreateObservableGauge("gov.proxy.usage_buffer.oldest_age", () => ReadBuffer(b => b.OldestAge.TotalSeconds), "s",
            description: "Age of the oldest unacknowledged record in the local usage buffer.");
    }

    /// <summary>Set by the budget-lease code (issue #5): the leases held now. Called on each scrape; keep it cheap.</summary>
    public Func<IEnumerable<LeaseReading>>? Leases { get; set; }

    /// <summary>Set by the usage journal (issue #5): what is waiting to be shipped. Called on each scrape; keep it cheap.</summary>
    public Func<UsageBufferReading>? UsageBuffer { get; set; }

    /// <summary>Counts the call once its response is complete, with the status the caller got.</summary>
    public void CountOnCompletion(HttpContext http, string surface) => http.Response.OnCompleted(() =>
    {
        _requests.Add(1, Tag("surface", surface.TrimStart('/')), Tag("status", http.Response.StatusCode));
        return Task.CompletedTask;
    });

    public void Decided(string? denialReason, long startedTimestamp)
    {
        var decision = denialReason is null ? "allow" : "deny";
        _decisions.Add(1, Tag("decision", decision), Tag("reason", denialReason ?? "none"));
        _decisionDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, Tag("decision", decision));
    }

    /// <summary>A deployment answered with <paramref name="status"/> (its headers arrived).</summary>
    public void UpstreamAnswered(string deployment, int status, long startedTimestamp) =>
        _upstreamDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, Tag("deployment", deployment), Tag("outcome", status));

    /// <summary>An attempt on a deployment failed (<c>AttemptFailures</c>: timeout, unreachable, rate_limited, …).</summary>
    public void UpstreamFailed(string deployment, string reason, int? status, long startedTimestamp)
    {
        _upstreamErrors.Add(1, Tag("deployment", deployment), Tag("reason", reason));
        // A status means the answer arrived (and was already timed); otherwise time the failure itself.
        if (status is null)
            _upstreamDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, Tag("deployment", deployment), Tag("outcome", reason));
    }

    private static KeyValuePair<string, object?> Tag(string name, object? value) => new(name, value);

    private static IEnumerable<LeaseReading> Read(Func<IEnumerable<LeaseReading>>? source) => source?.Invoke() ?? [];

    private IEnumerable<Measurement<T>> ReadBuffer<T>(Func<UsageBufferReading, T> pick) where T : struct =>
        UsageBuffer is { } read ? [new Measurement<T>(pick(read()))] : [];
}
