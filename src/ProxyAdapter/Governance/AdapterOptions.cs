namespace ProxyAdapter.Governance;

/// <summary>
/// How the adapter decides from memory (docs/gateway.md, "Deciding from memory"). <see cref="MaxStaleness"/>: with
/// nothing heard from the governance API for this long (no change, heartbeat or catch-up read), new requests are
/// refused with 503 <c>governance_unavailable</c>, unless one catch-up read proves the copy current.
/// <see cref="LeaseWait"/>: how long a request may wait for a lease (retries while other adapters answer recalls)
/// before it is refused as <c>governance_unavailable</c>; <see cref="CallTimeout"/>: each call to the API, but the
/// snapshot, which has <see cref="SnapshotTimeout"/>; <see cref="LeaseWantMultiplier"/>: a lease ask wants this many
/// times what it needs.
/// </summary>
public sealed record AdapterOptions(TimeSpan MaxStaleness, TimeSpan RenewEvery, TimeSpan LeaseWait, TimeSpan CallTimeout, TimeSpan ReconnectDelay)
{
    public TimeSpan SnapshotTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public decimal LeaseWantMultiplier { get; init; } = 10;

    public static AdapterOptions From(IConfiguration configuration) => new(
        TimeSpan.FromSeconds(configuration.GetValue("Proxy:MaxStalenessSeconds", 5.0)),
        TimeSpan.FromSeconds(configuration.GetValue("Proxy:LeaseRenewSeconds", 20.0)),
        TimeSpan.FromSeconds(configuration.GetValue("Proxy:LeaseWaitSeconds", 10.0)),
        TimeSpan.FromMilliseconds(configuration.GetValue("Proxy:GovernanceTimeoutMs", 5_000)),
        TimeSpan.FromMilliseconds(configuration.GetValue("Proxy:FeedReconnectMs", 250)))
    {
        SnapshotTimeout = TimeSpan.FromSeconds(configuration.GetValue("Proxy:SnapshotTimeoutSeconds", 60.0)),
        LeaseWantMultiplier = Math.Clamp(configuration.GetValue("Proxy:LeaseWantMultiplier", 10m), 1m, 10_000m),
    };
}
