using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Governance.Hosting;

/// <summary>
/// How many failed authentications a client address may make: <see cref="FailuresPerMinute"/> at once, then that many
/// a minute; <see cref="MaxAddresses"/> addresses are tracked at most (about 100 bytes each).
/// </summary>
public sealed record AuthThrottleOptions(int FailuresPerMinute, int MaxAddresses)
{
    public const int DefaultFailuresPerMinute = 60;
    public const int DefaultMaxAddresses = 100_000;

    public static AuthThrottleOptions From(IConfiguration configuration) => new(
        Math.Clamp(configuration.GetValue("Auth:MaxFailuresPerMinute", DefaultFailuresPerMinute), 1, 1_000_000),
        Math.Clamp(configuration.GetValue("Auth:ThrottleMaxAddresses", DefaultMaxAddresses), 1, 10_000_000));
}

/// <summary>
/// Failed authentications per client address, shared by the proxy (virtual keys) and the API (operator tokens): past
/// the limit, the address is refused with 429 and Retry-After before its credential is even looked at, until its
/// failures drain at the allowed rate. The address is the connection's as Kestrel sees it (forwarded headers count only
/// from <see cref="TrustedProxies"/>); IPv6 addresses count per /64, the least a host is usually given. A connection with
/// no IP address (a unix socket, an in-process test server) is not throttled.
/// </summary>
/// <remarks>
/// A generic cell rate algorithm: per address one number, the instant its failures will have drained. A failure pushes
/// it one interval (a minute ÷ the limit) past the later of itself and now; the address is refused while it lies more
/// than the burst (limit − 1 intervals) ahead of now. An address whose failures have drained holds no state worth
/// keeping: when the table is full those are swept (at most once a second), and an address that still finds no room is
/// not tracked, so memory stays bounded whatever addresses a flood comes from; its requests are still authenticated.
/// </remarks>
public sealed class FailedAuthThrottle(AuthThrottleOptions options)
{
    private readonly ConcurrentDictionary<UInt128, long> _drainedAt = new();
    private readonly long _interval = TimeSpan.TicksPerMinute / options.FailuresPerMinute;
    private readonly long _burst = TimeSpan.TicksPerMinute / options.FailuresPerMinute * (options.FailuresPerMinute - 1);
    private int _tracked;
    private long _sweptAt;

    /// <summary>Addresses tracked now.</summary>
    public int Tracked => Volatile.Read(ref _tracked);

    /// <summary>How long <paramref name="address"/> must wait before its next attempt; null when it may try now.</summary>
    public TimeSpan? RetryAfter(IPAddress? address, DateTimeOffset now)
    {
        if (Bucket(address) is not { } bucket || !_drainedAt.TryGetValue(bucket, out var drainedAt))
            return null;
        var wait = drainedAt - _burst - now.UtcTicks;
        return wait > 0 ? TimeSpan.FromTicks(wait) : null;
    }

    /// <summary>Counts a credential <paramref name="address"/> presented and that was refused.</summary>
    public void Failed(IPAddress? address, DateTimeOffset now)
    {
        if (Bucket(address) is not { } bucket)
            return;
        var ticks = now.UtcTicks;
        while (true)
        {
            if (_drainedAt.TryGetValue(bucket, out var drainedAt))
            {
                if (_drainedAt.TryUpdate(bucket, Math.Max(drainedAt, ticks) + _interval, drainedAt))
                    return;
                continue;
            }
            if (Volatile.Read(ref _tracked) >= options.MaxAddresses && !Sweep(ticks))
                return;
            if (_drainedAt.TryAdd(bucket, ticks + _interval))
            {
                Interlocked.Increment(ref _tracked);
                return;
            }
        }
    }

    /// <summary>Forgets the addresses whose failures have drained; false when the table is still full (or was swept within the second).</summary>
    private bool Sweep(long now)
    {
        var last = Volatile.Read(ref _sweptAt);
        if (now - last < TimeSpan.TicksPerSecond || Interlocked.CompareExchange(ref _sweptAt, now, last) != last)
            return false;
        foreach (var entry in _drainedAt)
            if (entry.Value <= now && _drainedAt.TryRemove(entry))
                Interlocked.Decrement(ref _tracked);
        return Volatile.Read(ref _tracked) < options.MaxAddresses;
    }

    /// <summary>One throttle per process, configured from <c>Auth:</c> (<see cref="AuthThrottleOptions"/>).</summary>
    public static IServiceCollection AddFailedAuthThrottle(IServiceCollection services, IConfiguration configuration) =>
        services.AddSingleton(new FailedAuthThrottle(AuthThrottleOptions.From(configuration)));

    /// <summary>An IPv4 address as itself, an IPv6 address by its /64 network.</summary>
    private static UInt128? Bucket(IPAddress? address)
    {
        if (address is null)
            return null;
        Span<byte> bytes = stackalloc byte[16];
        address.MapToIPv6().TryWriteBytes(bytes, out _);
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && !address.IsIPv4MappedToIPv6)
            bytes[8..].Clear();
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }
}
