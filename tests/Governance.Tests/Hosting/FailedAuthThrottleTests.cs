using System.Net;
using Governance.Hosting;

namespace Governance.Tests.Hosting;

public sealed class FailedAuthThrottleTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 2, 14, 3, 0, TimeSpan.Zero);
    private static readonly IPAddress Attacker = IPAddress.Parse("203.0.113.7");

    private static FailedAuthThrottle Throttle(int perMinute = 3, int maxAddresses = 100) => new(new AuthThrottleOptions(perMinute, maxAddresses));

    private static void Fail(FailedAuthThrottle throttle, IPAddress address, int times, DateTimeOffset at)
    {
        for (var i = 0; i < times; i++)
            throttle.Failed(address, at);
    }

    [Fact]
    public void an_address_may_fail_its_limit_at_once_and_is_then_told_when_to_retry()
    {
        var throttle = Throttle(perMinute: 3);

        Fail(throttle, Attacker, 2, Now);
        Assert.Null(throttle.RetryAfter(Attacker, Now));
        throttle.Failed(Attacker, Now);

        Assert.Equal(TimeSpan.FromSeconds(20), throttle.RetryAfter(Attacker, Now));
        Assert.Null(throttle.RetryAfter(IPAddress.Parse("203.0.113.8"), Now));
    }

    [Fact]
    public void failures_drain_at_the_allowed_rate_and_each_new_one_waits_again()
    {
        var throttle = Throttle(perMinute: 3);
        Fail(throttle, Attacker, 3, Now);

        Assert.NotNull(throttle.RetryAfter(Attacker, Now.AddSeconds(19)));
        Assert.Null(throttle.RetryAfter(Attacker, Now.AddSeconds(20)));
        throttle.Failed(Attacker, Now.AddSeconds(20));
        Assert.Equal(TimeSpan.FromSeconds(20), throttle.RetryAfter(Attacker, Now.AddSeconds(20)));
        Assert.Null(throttle.RetryAfter(Attacker, Now.AddMinutes(5)));
    }

    [Fact]
    public void the_addresses_of_one_ipv6_network_count_together_and_ipv4_addresses_each_alone()
    {
        var throttle = Throttle(perMinute: 2);

        throttle.Failed(IPAddress.Parse("2001:db8:1:2::1"), Now);
        throttle.Failed(IPAddress.Parse("2001:db8:1:2:ffff::9"), Now);
        throttle.Failed(IPAddress.Parse("198.51.100.1"), Now);
        throttle.Failed(IPAddress.Parse("::ffff:198.51.100.2"), Now);

        Assert.NotNull(throttle.RetryAfter(IPAddress.Parse("2001:db8:1:2::77"), Now));
        Assert.Null(throttle.RetryAfter(IPAddress.Parse("2001:db8:1:3::1"), Now));
        Assert.Null(throttle.RetryAfter(IPAddress.Parse("198.51.100.1"), Now));
        // An IPv4 client on a dual-stack socket is the same client.
        throttle.Failed(IPAddress.Parse("198.51.100.2"), Now);
        Assert.NotNull(throttle.RetryAfter(IPAddress.Parse("198.51.100.2"), Now));
    }

    [Fact]
    public void a_connection_without_an_address_is_never_throttled()
    {
        var throttle = Throttle(perMinute: 1);

        Fail(throttle, null!, 10, Now);

        Assert.Null(throttle.RetryAfter(null, Now));
        Assert.Equal(0, throttle.Tracked);
    }

    [Fact]
    public void a_flood_from_many_addresses_tracks_no_more_than_the_bound_and_makes_room_once_failures_drain()
    {
        var throttle = Throttle(perMinute: 1, maxAddresses: 50);

        for (var i = 0; i < 10_000; i++)
            throttle.Failed(new IPAddress(BitConverter.GetBytes(0x0A000000 + i)), Now);
        Assert.Equal(50, throttle.Tracked);

        // A minute later every failure has drained: a new address finds room.
        var late = IPAddress.Parse("192.0.2.1");
        throttle.Failed(late, Now.AddMinutes(1));
        Assert.Equal(1, throttle.Tracked);
        Assert.NotNull(throttle.RetryAfter(late, Now.AddMinutes(1)));
    }
}
