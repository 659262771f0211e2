using System.Net;
using IPNetwork = System.Net.IPNetwork;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Configuration;

namespace Governance.Hosting;

/// <summary>
/// Whose <c>X-Forwarded-For</c> is believed: <c>Network:TrustedProxies</c>, a comma-separated list of addresses and CIDR
/// ranges (<c>10.0.0.5, 10.1.0.0/16</c>); none by default. The client address (what the failed-authentication throttle
/// and the logs see) is then the connection's own unless it comes from one of these, in which case it is the address that
/// proxy forwarded for, walking the header from the right while each hop is trusted.
/// </summary>
public static class TrustedProxies
{
    public const string Setting = "Network:TrustedProxies";

    /// <summary>The configured ranges; a malformed entry stops start-up (better than trusting the wrong hosts).</summary>
    public static IReadOnlyList<IPNetwork> From(IConfiguration configuration) =>
        (configuration[Setting] ?? "")
            .Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(Parse)
            .ToList();

    /// <summary>Adds the forwarded-headers middleware for the configured proxies only; with none, adds nothing.</summary>
    public static IApplicationBuilder UseTrustedProxies(this IApplicationBuilder app, IConfiguration configuration)
    {
        var trusted = From(configuration);
        // With no proxy listed the middleware would believe every sender (it checks only when a list is non-empty).
        if (trusted.Count == 0)
            return app;
        var options = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor, ForwardLimit = null };
        // The defaults trust loopback: only what is configured is trusted.
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var network in trusted)
            options.KnownIPNetworks.Add(network);
        return app.UseForwardedHeaders(options);
    }

    private static IPNetwork Parse(string entry)
    {
        if (IPNetwork.TryParse(entry, out var network))
            return network;
        if (IPAddress.TryParse(entry, out var address))
            return new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        throw new InvalidOperationException($"{Setting.Replace(":", "__", StringComparison.Ordinal)}: '{entry}' is neither an IP address nor a CIDR range.");
    }
}
