namespace ProxyAdapter;

public static class Upstream
{
    public const string ClientName = "upstream";

    /// <summary>
    /// The connection pool every provider call goes through. Cookies off: a provider's Set-Cookie must not follow one
    /// caller's request into another's. No automatic decompression, so no Accept-Encoding is sent: answers arrive
    /// uncompressed, readable for their usage. Connections are recycled every few minutes, so a provider's DNS change is
    /// seen although the handler lives as long as the process. <see cref="Governance.Hosting.Outbound.OutboundPolicy.Guard"/>
    /// adds the address check on every connection and turns automatic redirects off.
    /// </summary>
    public static SocketsHttpHandler CreateHandler() => new()
    {
        UseCookies = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    };
}

/// <summary>Which adapter reported an event: the actor on request events it appends.</summary>
public sealed record AdapterIdentity(string Id)
{
    public string Actor => "adapter:" + Id;
}

/// <summary>
/// Routing settings. <see cref="MaxAttempts"/> bounds upstream calls per request (deployments and fallbacks together);
/// <see cref="UpstreamTimeout"/> bounds each call until the provider's response headers (for a non-streaming call, its
/// whole body); a deployment that failed is skipped for <see cref="Cooldown"/> while others are healthy.
/// <see cref="MaxRequestBodyBytes"/> bounds what a call may send (413 past it).
/// </summary>
public sealed record GatewayOptions(int MaxAttempts, TimeSpan UpstreamTimeout, TimeSpan Cooldown, string AnthropicVersion)
{
    /// <summary>32 MiB: Anthropic's own limit for a Messages request, room for several base64 images in one call.</summary>
    public const long DefaultMaxRequestBodyBytes = 32L << 20;

    public long MaxRequestBodyBytes { get; init; } = DefaultMaxRequestBodyBytes;

    public static GatewayOptions From(IConfiguration configuration) => new(
        Math.Clamp(configuration.GetValue("Proxy:MaxAttempts", 3), 1, 10),
        TimeSpan.FromSeconds(configuration.GetValue("Proxy:UpstreamTimeoutSeconds", 120)),
        TimeSpan.FromSeconds(configuration.GetValue("Proxy:CooldownSeconds", 30)),
        configuration["Proxy:AnthropicVersion"] ?? "2023-06-01")
    {
        MaxRequestBodyBytes = configuration.GetValue("Proxy:MaxRequestBodyBytes", DefaultMaxRequestBodyBytes) is var limit and >= 1024 and <= 1L << 30
            ? limit
            : throw new InvalidOperationException("Proxy__MaxRequestBodyBytes must lie between 1024 and 1073741824 bytes."),
    };
}
