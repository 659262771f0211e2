namespace ProxyAdapter.Governance;

/// <summary>
/// How the adapter decides from memory (docs/gateway.md, "Deciding from memory"). <see cref="MaxStaleness"/>: with
/// nothing heard from the governance API for this long (no change, heartbeat or catch-up read), new requests are
/// refused with 503 <c>governance_unavailable</c>. Twice the feed's default heartbeat interval, plus a margin.
/// </summary>
public sealed record AdapterOptions(TimeSpan MaxStaleness, TimeSpan RenewEvery, int MaxLeaseAttempts, TimeSpan CallTimeout, TimeSpan ReconnectDelay)
{
    public static AdapterOptions From(IConfiguration configuration) => new(
        TimeSpan.FromSeconds(configuration.GetValue("Proxy:MaxStalenessSeconds", 5.0)),
        TimeSpan.FromSeconds(configuration.GetValue("Proxy:LeaseRenewSeconds", 20.0)),
        configuration.GetValue("Proxy:MaxLeaseAttempts", 200),
        TimeSpan.FromMilliseconds(configuration.GetValue("Proxy:GovernanceTimeoutMs", 2_000)),
        TimeSpan.FromMilliseconds(configuration.GetValue("Proxy:FeedReconnectMs", 250)));
}
