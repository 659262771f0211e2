using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;

namespace Governance.Hosting.Outbound;

/// <summary>The gateway refused to connect to an address (<see cref="OutboundPolicy"/>); the message names it and why.</summary>
public sealed class OutboundAddressRefusedException(string message) : IOException(message);

/// <summary>
/// Which addresses the gateway may call at a URL an operator gave it (a provider's base URL, a webhook): never link-local,
/// cloud metadata, unspecified, multicast or reserved addresses; private and loopback ones only with
/// <c>Outbound__AllowPrivateNetworks=true</c> (run.sh sets it; off in production unless providers or receivers are on a
/// private network). Checked when the URL is registered and again on every connection, on the addresses actually
/// connected to, so a name that resolves elsewhere later (DNS rebinding) is still refused.
/// </summary>
public sealed class OutboundPolicy(bool allowPrivateNetworks)
{
    public const string Setting = "Outbound__AllowPrivateNetworks";

    /// <summary>How long registration waits for a name to resolve; the connection-time check does not depend on it.</summary>
    private static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(2);

    public bool AllowPrivateNetworks { get; } = allowPrivateNetworks;

    public static OutboundPolicy From(IConfiguration configuration) => new(configuration.GetValue("Outbound:AllowPrivateNetworks", false));

    /// <summary>Why the gateway may not connect to this address; null when it may.</summary>
    public string? Refusal(IPAddress address) => Refusal(address.ToString(), OutboundAddresses.Classify(address));

    /// <summary>Why a URL's host (a literal address or a name, before any lookup) is refused; null: allowed so far.</summary>
    public string? HostRefusal(string host)
    {
        var bare = host.Trim('[', ']');
        if (IPAddress.TryParse(bare, out var literal))
            return Refusal(literal);
        return OutboundAddresses.ClassifyName(bare) is { } kind ? Refusal(host, kind) : null;
    }

    /// <summary>
    /// The registration check: an absolute http(s) URL whose host is allowed and, when it is a name that resolves within a
    /// short wait, resolves only to allowed addresses. A name that does not resolve now is accepted: every connection is
    /// checked again anyway. Returns why the URL is refused, to follow the field's name ("must be …", "is refused: …"), or null.
    /// </summary>
    public async Task<string?> UrlRefusalAsync(string? url, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            return "must be an absolute http(s) URL";
        if (HostRefusal(uri.IdnHost) is { } refused)
            return "is refused: " + refused;
        if (uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6)
            return null;
        IPAddress[] addresses;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(ResolveTimeout);
        try
        {
            addresses = await Dns.GetHostAddressesAsync(uri.IdnHost, wait.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return null;
        }
        return addresses.Select(a => Refusal(a) is { } why ? $"is refused: {uri.IdnHost} resolves to {why}" : null).FirstOrDefault(r => r is not null);
    }

    /// <summary>
    /// Makes <paramref name="handler"/> connect only to allowed addresses (<see cref="ConnectAsync"/>), never follow a
    /// redirect (a provider's 3xx must not carry its API key to another host), and not go through an HTTP(S)_PROXY from
    /// the environment (the address checked must be the address connected to).
    /// </summary>
    public SocketsHttpHandler Guard(SocketsHttpHandler handler)
    {
        handler.ConnectCallback = ConnectAsync;
        handler.AllowAutoRedirect = false;
        handler.UseProxy = false;
        return handler;
    }

    /// <summary>
    /// SocketsHttpHandler's connect step: resolves the host once, refuses when any address it resolves to is refused, and
    /// connects to exactly the addresses checked (no second lookup in between).
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var endpoint = context.DnsEndPoint;
        if (HostRefusal(endpoint.Host) is { } refused)
            throw new OutboundAddressRefusedException($"Refused to connect: {refused}.");
        var addresses = IPAddress.TryParse(endpoint.Host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, ct);
        foreach (var address in addresses)
            if (Refusal(address) is { } why)
                throw new OutboundAddressRefusedException($"Refused to connect: {endpoint.Host} resolves to {why}.");

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endpoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private string? Refusal(string shown, (AddressKind Kind, string What) kind) => kind.Kind switch
    {
        AddressKind.Forbidden => $"{shown} is {kind.What}: the gateway never calls such addresses",
        AddressKind.Private when !AllowPrivateNetworks => $"{shown} is {kind.What}: the gateway calls such addresses only with {Setting}=true",
        _ => null,
    };
}
