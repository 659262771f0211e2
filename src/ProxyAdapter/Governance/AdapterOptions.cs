namespace ProxyAdapter.Governance;

/// <summary>
/// How the adapter decides from memory (docs/gateway.md, "Deciding from memory"). <see cref="MaxStaleness"/>: with
/// nothing heard from the governance API for this long (no change, heartbeat or catch-up read), new requests are
/// refused with 503 <c>governance_unavailable</c>, unless one catch-up read proves the copy current.
/// <see cref="LeaseWait"/>: how long a request may wait for a lease (retries while other adapters answer recalls)
/// before it is refused as <c>governance_unavailable</c>; <see cref="CallTimeout"/>: each call to the API.
/// </summary>
public sealed record AdapterOptions(TimeSpan MaxStaleness, TimeSpan RenewEvery, TimeSpan LeaseWait, TimeSpan CallTimeout, TimeSpan ReconnectDelay)
{
    public static AdapterOptions From(IConfiguration configuration) => new(
        TimeSpan.FromSeconds(configuration.GetValue("Proxy:MaxStalenessSeconds", 5.0)),
        TimeSpan.FromSeconds(configuration.GetValue("Proxy:LeaseRenewSeconds", 20.0)),
        TimeSpan.FromSeconds(configuration.GetValue("Proxy:LeaseWaitSeconds", 10.0)),
        TimeSpan.FromMilliseconds(configuration.GetValue("Proxy:GovernanceTimeoutMs", 5_000)),
        TimeSpan.FromMilliseconds(configuration.GetValue("Proxy:FeedReconnectMs", 250)));
}
