using System.Net;
using System.Text.RegularExpressions;
using Alba;
using Microsoft.AspNetCore.Http;
using ProxyAdapter.Observability;

namespace Governance.Tests.Integration.Observability;

/// <summary>One sample of a Prometheus text exposition: name, labels and value.</summary>
public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

public static partial class Scrape
{
    public static async Task<string> MetricsText(this HttpClient client)
    {
        using var response = await client.GetAsync("/metrics");
        Assert.Equal(200, (int)response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>
    /// The proxy's /metrics as Prometheus scrapes it: on its management listener (by default 127.0.0.1:9464; the test
    /// server has no sockets, so the connection's local address says which listener took it).
    /// </summary>
    public static async Task<string> ProxyMetricsText(this IAlbaHost proxy)
    {
        var (status, text) = await proxy.ProxyMetrics(IPAddress.Loopback, BindingAddress.Parse(ManagementEndpoint.DefaultUrl).Port);
        Assert.Equal(200, status);
        return text;
    }

    /// <summary>GET /metrics of the proxy as received on <paramref name="local"/>:<paramref name="port"/>.</summary>
    public static async Task<(int Status, string Text)> ProxyMetrics(this IAlbaHost proxy, IPAddress local, int port, string? host = null)
    {
        var context = await proxy.Server.SendAsync(c =>
        {
            c.Request.Method = "GET";
            c.Request.Path = "/metrics";
            c.Connection.LocalIpAddress = local;
            c.Connection.LocalPort = port;
            if (host is not null)
                c.Request.Host = new HostString(host);
        });
        return (context.Response.StatusCode, await new StreamReader(context.Response.Body).ReadToEndAsync());
    }

    public static IReadOnlyList<Sample> Parse(string exposition) =>
        exposition.Split('\n')
            .Select(line => SampleLine().Match(line))
            .Where(m => m.Success)
            .Select(m => new Sample(m.Groups["name"].Value,
                LabelPair().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value),
                double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();

    /// <summary>The value of the one series named <paramref name="name"/> with all of <paramref name="labels"/>; 0 when absent.</summary>
    public static double Value(this IReadOnlyList<Sample> samples, string name, params (string Key, string Value)[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).Sum(s => s.Value);

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>[-+0-9.eE]+|NaN|\+Inf)(\s+\d+)?\r?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)""")]
    private static partial Regex LabelPair();
}
