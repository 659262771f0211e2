using System.Net;
using System.Net.Sockets;

namespace Governance.Hosting.Outbound;

/// <summary>Where an address lies, for calls the gateway makes to URLs operators give it (providers, webhooks).</summary>
public enum AddressKind
{
    Public,
    /// <summary>Private, loopback, unique-local or shared (CGNAT) ranges: allowed only with Outbound__AllowPrivateNetworks.</summary>
    Private,
    /// <summary>Link-local, cloud metadata, unspecified, multicast or reserved: never called.</summary>
    Forbidden,
}

/// <summary>
/// Classifies IP addresses and host names. Pure: no DNS (the caller resolves). IPv4 addresses written inside IPv6 ones
/// (mapped <c>::ffff:a.b.c.d</c>, NAT64 <c>64:ff9b::/96</c>, compatible <c>::a.b.c.d</c>) are classified as the IPv4
/// address they reach.
/// </summary>
public static class OutboundAddresses
{
    /// <summary>Names of cloud metadata services (Google, AWS, Tencent; the others answer on the addresses below only).</summary>
    private static readonly HashSet<string> MetadataNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal", "metadata.tencentyun.com",
    };

    /// <summary>Metadata services outside the link-local range: Alibaba Cloud, Azure's wire server, AWS's IPv6 endpoint.</summary>
    private static readonly HashSet<IPAddress> MetadataAddresses =
        [IPAddress.Parse("100.100.100.200"), IPAddress.Parse("168.63.129.16"), IPAddress.Parse("fd00:ec2::254")];

    private static readonly IPAddress Nat64Prefix = IPAddress.Parse("64:ff9b::");

    /// <summary>The kind of a host name before any lookup: metadata names are forbidden, localhost is private; null: look it up.</summary>
    public static (AddressKind Kind, string What)? ClassifyName(string host)
    {
        var name = host.TrimEnd('.');
        if (MetadataNames.Contains(name))
            return (AddressKind.Forbidden, "a cloud metadata service");
        if (name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
            return (AddressKind.Private, "loopback");
        return null;
    }

    public static (AddressKind Kind, string What) Classify(IPAddress address)
    {
        var v4 = address.AddressFamily == AddressFamily.InterNetwork ? address : EmbeddedIPv4(address);
        if (MetadataAddresses.Contains(address) || (v4 is not null && MetadataAddresses.Contains(v4)))
            return (AddressKind.Forbidden, "a cloud metadata service");
        return v4 is not null ? ClassifyIPv4(v4.GetAddressBytes()) : ClassifyIPv6(address);
    }

    private static (AddressKind, string) ClassifyIPv4(byte[] b) => b switch
    {
        [0, ..] => (AddressKind.Forbidden, "unspecified (0.0.0.0/8)"),
        [169, 254, ..] => (AddressKind.Forbidden, "link-local (169.254.0.0/16, where cloud metadata services answer)"),
        [255, 255, 255, 255] => (AddressKind.Forbidden, "broadcast"),
        [>= 224 and <= 239, ..] => (AddressKind.Forbidden, "multicast"),
        [>= 240, ..] => (AddressKind.Forbidden, "reserved (240.0.0.0/4)"),
        [127, ..] => (AddressKind.Private, "loopback"),
        [10, ..] or [192, 168, ..] or [172, >= 16 and <= 31, ..] => (AddressKind.Private, "private (RFC 1918)"),
        [100, >= 64 and <= 127, ..] => (AddressKind.Private, "shared address space (100.64.0.0/10)"),
        [198, 18 or 19, ..] => (AddressKind.Private, "private (benchmarking, 198.18.0.0/15)"),
        _ => (AddressKind.Public, "public"),
    };

    private static (AddressKind, string) ClassifyIPv6(IPAddress address)
    {
        if (address.Equals(IPAddress.IPv6None))
            return (AddressKind.Forbidden, "unspecified (::)");
        if (address.Equals(IPAddress.IPv6Loopback))
            return (AddressKind.Private, "loopback");
        if (address.IsIPv6LinkLocal)
            return (AddressKind.Forbidden, "link-local (fe80::/10)");
        if (address.IsIPv6Multicast)
            return (AddressKind.Forbidden, "multicast");
        var first = address.GetAddressBytes()[0];
        if (address.IsIPv6SiteLocal || (first & 0xfe) == 0xfc)
            return (AddressKind.Private, "unique-local (fc00::/7)");
        return (AddressKind.Public, "public");
    }

    /// <summary>The IPv4 address an IPv6 address stands for, if it embeds one.</summary>
    private static IPAddress? EmbeddedIPv4(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
            return null;
        if (address.IsIPv4MappedToIPv6)
            return address.MapToIPv4();
        var bytes = address.GetAddressBytes();
        var prefix = Nat64Prefix.GetAddressBytes();
        if (bytes.AsSpan(0, 12).SequenceEqual(prefix.AsSpan(0, 12)))
            return new IPAddress(bytes[12..]);
        // IPv4-compatible (::a.b.c.d, deprecated), but not :: or ::1.
        if (bytes.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0 && !address.Equals(IPAddress.IPv6None) && !address.Equals(IPAddress.IPv6Loopback))
            return new IPAddress(bytes[12..]);
        return null;
    }
}
