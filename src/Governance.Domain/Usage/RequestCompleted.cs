namespace Governance.Domain.Usage;

/// <summary>
/// One completed request, priced: the ledger entry. The request id is the stream id, so a request is recorded
/// at most once. <see cref="PriceVersion"/> names the price version used (null when the cost is 0 because the
/// provider failed before producing tokens). <see cref="OccurredAt"/> is when the request happened (it picks the
/// price and the budget window); <see cref="RecordedAt"/> is when the ledger learnt of it.
/// </summary>
public sealed record RequestCompleted(
    string RequestId,
    string KeyId,
    string App,
    string? Team,
    string Model,
    string? Provider,
    long InputTokens,
    long CachedTokens,
    long OutputTokens,
    long ReasoningTokens,
    decimal Cost,
    int? PriceVersion,
    long LatencyMs,
    int Status,
    string? ReservationId,
    string ReportedBy,
    DateTimeOffset OccurredAt,
    DateTimeOffset RecordedAt)
{
    /// <summary>The access grant that admitted a restricted model; its spend cap counts this request.</summary>
    public string? GrantId { get; init; }

    /// <summary>The deployment (<c>provider/upstream-model</c>) that answered; null when none did or the adapter does not route.</summary>
    public string? Deployment { get; init; }

    /// <summary>Upstream calls that failed before the answer (or before the gateway gave up), in order.</summary>
    public IReadOnlyList<FailedAttempt> FailedAttempts { get; init; } = [];

    /// <summary>Some token counts are the gateway's estimate, not the provider's report (client abort, no usage sent).</summary>
    public bool Estimated { get; init; }

    /// <summary>The model the caller asked for, when a fallback model (<see cref="Model"/>) answered instead.</summary>
    public string? RequestedModel { get; init; }

    /// <summary>The budget leases the request was admitted under (an adapter deciding from memory); empty for holds.</summary>
    public IReadOnlyList<string> LeaseIds { get; init; } = [];

    /// <summary>The worst case it was admitted for, when no reservation records it (leases).</summary>
    public decimal? WorstCaseCost { get; init; }

    /// <summary>The event sequence the adapter's copy had reached when it decided: the moment an explanation judges.</summary>
    public long? DecidedAtSequence { get; init; }

    /// <summary>Which strategy chose the deployment and why (null in events recorded before, and when no route was planned).</summary>
    public RoutingChoice? Routing { get; init; }

    public TokenUsage Usage => new(InputTokens, CachedTokens, OutputTokens, ReasoningTokens);
}

/// <summary>The request log entry shown for a key: what was called, what it cost, how it ended.</summary>
public sealed record RequestRecord(
    string Id, string KeyId, string App, string? Team, string Model, string? Provider,
    long InputTokens, long CachedTokens, long OutputTokens, long ReasoningTokens,
    decimal Cost, int? PriceVersion, long LatencyMs, int Status, string? ReservationId, string ReportedBy,
    DateTimeOffset CompletedAt, DateTimeOffset RecordedAt)
{
    public string? GrantId { get; init; }
    public string? Deployment { get; init; }
    public IReadOnlyList<FailedAttempt> FailedAttempts { get; init; } = [];
    public bool Estimated { get; init; }
    public string? RequestedModel { get; init; }
    public RoutingChoice? Routing { get; init; }

    public static RequestRecord From(RequestCompleted e) =>
        new(e.RequestId, e.KeyId, e.App, e.Team, e.Model, e.Provider,
            e.InputTokens, e.CachedTokens, e.OutputTokens, e.ReasoningTokens, e.Cost, e.PriceVersion, e.LatencyMs,
            e.Status, e.ReservationId, e.ReportedBy, e.OccurredAt, e.RecordedAt)
        {
            GrantId = e.GrantId, Deployment = e.Deployment, FailedAttempts = e.FailedAttempts, Estimated = e.Estimated, RequestedModel = e.RequestedModel,
            Routing = e.Routing,
        };
}
