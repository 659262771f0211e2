using System.Text.Json.Serialization;

namespace Governance.Domain.Keys;

/// <summary>
/// A key's rate limits; a null limit is unlimited. They hold for the whole fleet of adapters (<see cref="RateAllowance"/>;
/// docs/gateway.md, "Rate limits", states the bound).
/// </summary>
public sealed record KeyRateLimits(long? RequestsPerMinute, long? TokensPerMinute, int? MaxParallel)
{
    /// <summary>Sane ceilings: far above any real gateway's traffic per key, low enough that arithmetic never overflows.</summary>
    public const long MaxRequestsPerMinute = 1_000_000;
    public const long MaxTokensPerMinute = 10_000_000_000;
    public const int MaxParallelCap = 100_000;

    public static readonly KeyRateLimits None = new(null, null, null);

    [JsonIgnore]
    public bool IsUnlimited => RequestsPerMinute is null && TokensPerMinute is null && MaxParallel is null;

    /// <summary>The first field out of range, as the API names it, or null when all are acceptable.</summary>
    public (string Field, string Message)? Problem() =>
        RequestsPerMinute is < 0 or > MaxRequestsPerMinute ? ("requestsPerMinute", $"must be between 0 and {MaxRequestsPerMinute}")
        : TokensPerMinute is < 0 or > MaxTokensPerMinute ? ("tokensPerMinute", $"must be between 0 and {MaxTokensPerMinute}")
        : MaxParallel is < 0 or > MaxParallelCap ? ("maxParallel", $"must be between 0 and {MaxParallelCap}")
        : null;
}
