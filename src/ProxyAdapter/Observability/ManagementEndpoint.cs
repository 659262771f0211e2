using System.Net;

namespace ProxyAdapter.Observability;

/// <summary>
/// Where the proxy serves <c>/metrics</c>: <c>Proxy:ManagementUrl</c>, a listener of its own beside the public one,
/// loopback by default (<see cref="DefaultUrl"/>, the port OpenTelemetry's Prometheus exporters use); empty serves it
/// nowhere. On the public port <c>/metrics</c> is a 404, whatever the Host header says: what decides is the local address
/// and port the connection was accepted on.
/// </summary>
public sealed class ManagementEndpoint
{
    public const string Setting = "Proxy:ManagementUrl";
    public const string DefaultUrl = "http://127.0.0.1:9464";

    private ManagementEndpoint(BindingAddress? address) => Address = address;

    /// <summary>Null when <c>/metrics</c> is served nowhere.</summary>
    public BindingAddress? Address { get; }

    public static ManagementEndpoint From(IConfiguration configuration)
    {
        var url = configuration[Setting] ?? DefaultUrl;
        if (url.Trim().Length == 0)
            return new ManagementEndpoint(null);
        var address = BindingAddress.Parse(url);
        if (address.IsUnixPipe || address.Port is <= 0 or > 65535 || address.Scheme != Uri.UriSchemeHttp)
            throw new InvalidOperationException($"Proxy__ManagementUrl must be an http URL with a port (e.g. {DefaultUrl}), not '{url}'.");
        return new ManagementEndpoint(address);
    }

    /// <summary>Adds the management listener to the server's own (ASPNETCORE_URLS, --urls, or Kestrel's default).</summary>
    public void Listen(IWebHostBuilder web, IConfiguration configuration)
    {
        if (Address is null)
            return;
        var urls = configuration[WebHostDefaults.ServerUrlsKey];
        if (string.IsNullOrWhiteSpace(urls))
            urls = configuration["http_ports"] is { Length: > 0 } ports
                ? string.Join(';', ports.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => $"http://*:{p}"))
                : "http://localhost:5000";
        web.UseUrls([.. urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), Address.ToString()]);
    }

    /// <summary>Whether <paramref name="connection"/> was accepted by the management listener.</summary>
    public bool Accepted(ConnectionInfo connection)
    {
        if (Address is null || connection.LocalPort != Address.Port || connection.LocalIpAddress is not { } local)
            return false;
        if (local.IsIPv4MappedToIPv6)
            local = local.MapToIPv4();
        return Address.Host switch
        {
            "localhost" => IPAddress.IsLoopback(local),
            var host when IPAddress.TryParse(host.Trim('[', ']'), out var ip) => ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any) || ip.Equals(local),
            // "*", "+" or a host name: Kestrel listens on every interface for these.
            _ => true,
        };
    }
}
