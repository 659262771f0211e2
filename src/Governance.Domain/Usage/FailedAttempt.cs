namespace Governance.Domain.Usage;

/// <summary>
/// An upstream call that failed before the request was answered (or given up): which model and deployment, the
/// provider's HTTP status if it answered, why it counted as a failure (<see cref="AttemptFailures"/>), and how long it took.
/// </summary>
public sealed record FailedAttempt(string Model, string Deployment, int? Status, string Reason, long LatencyMs);

public static class AttemptFailures
{
    public const string Unreachable = "unreachable";
    public const string Timeout = "timeout";
    public const string RateLimited = "rate_limited";
    public const string ServerError = "server_error";
    /// <summary>The provider answered 2xx, then its stream broke before anything reached the client.</summary>
    public const string StreamBroken = "stream_broken";
    /// <summary>The provider answered 3xx: redirects are never followed (its API key must not reach another host).</summary>
    public const string Redirected = "redirected";
    /// <summary>The provider's address is one the gateway may not call (link-local, metadata, or private without the setting).</summary>
    public const string AddressRefused = "address_refused";
    /// <summary>The provider's API key does not decrypt on this node (another master key, or its name or URL was changed).</summary>
    public const string KeyUnavailable = "key_unavailable";
}
