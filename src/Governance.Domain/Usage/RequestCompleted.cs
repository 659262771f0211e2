namespace Governance.Domain.Usage;

/// <summary>One proxied call, priced. The request id is the stream id, so a request is recorded at most once.</summary>
public sealed record RequestCompleted(
    string RequestId,
    string KeyId,
    string App,
    string Model,
    string Provider,
    long InputTokens,
    long OutputTokens,
    decimal Cost,
    long LatencyMs,
    int Status,
    string ReportedBy,
    DateTimeOffset CompletedAt);

public static class Pricing
{
    private const decimal TokensPerPriceUnit = 1_000_000m;

    /// <summary>
    /// Exact decimal cost, not rounded: token counts times a price with a handful of decimals stay far
    /// inside decimal's 28 significant digits, so no fraction of a cent is lost or invented.
    /// </summary>
    public static decimal Cost(long inputTokens, long outputTokens, decimal inputPricePer1M, decimal outputPricePer1M) =>
        (inputTokens * inputPricePer1M + outputTokens * outputPricePer1M) / TokensPerPriceUnit;
}

/// <summary>The request log entry shown for a key: what was called, what it cost, how it ended.</summary>
public sealed record RequestRecord(
    string Id, string KeyId, string App, string Model, string Provider, long InputTokens, long OutputTokens,
    decimal Cost, long LatencyMs, int Status, DateTimeOffset CompletedAt)
{
    public static RequestRecord? Evolve(RequestRecord? state, object @event) => @event switch
    {
        RequestCompleted e => new RequestRecord(e.RequestId, e.KeyId, e.App, e.Model, e.Provider, e.InputTokens,
            e.OutputTokens, e.Cost, e.LatencyMs, e.Status, e.CompletedAt),
        _ => state,
    };
}
