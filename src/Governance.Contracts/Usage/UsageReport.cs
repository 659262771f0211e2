using System.Text.Json.Serialization;
using Governance.Domain.Usage;

namespace Governance.Contracts.Usage;

/// <summary>What an adapter reports about one completed request. The request id is the idempotency key.</summary>
public sealed record UsageReport(
    string RequestId, string KeyId, string Model, string? Provider, long InputTokens, long CachedTokens, long OutputTokens,
    long ReasoningTokens, long LatencyMs, int Status, DateTimeOffset OccurredAt, string? ReservationId)
{
    // How a routing adapter served the request; copied onto the ledger event as they are.
    public string? Deployment { get; init; }
    public IReadOnlyList<FailedAttempt> FailedAttempts { get; init; } = [];
    public bool Estimated { get; init; }
    public string? RequestedModel { get; init; }
    /// <summary>The budget leases the adapter admitted the request under, at most one per level: the cost is drawn from them.</summary>
    public IReadOnlyList<string> LeaseIds { get; init; } = [];
    /// <summary>The worst case the request was admitted for, when it was admitted without a reservation (leases).</summary>
    public decimal? WorstCaseCost { get; init; }
    /// <summary>The change-feed sequence the adapter's in-memory decision rested on: what explains the decision later.</summary>
    public long? DecidedAtSequence { get; init; }
    /// <summary>Which routing strategy chose the deployment and why; null from adapters that do not say (older ones).</summary>
    public RoutingChoice? Routing { get; init; }
    /// <summary>
    /// False when the reporter left <see cref="OccurredAt"/> out and the API filled in its own now: a late report is not
    /// judged against the end of its admission's lease or hold. Never on the wire.
    /// </summary>
    [JsonIgnore]
    public bool OccurredAtStated { get; init; } = true;
}

/// <summary>The ledger's answer for one report: the original result when the request id was already recorded.</summary>
public sealed record UsageOutcome(string RequestId, bool Duplicate, decimal Cost, int? PriceVersion);
