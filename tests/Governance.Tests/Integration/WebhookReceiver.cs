using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Governance.Tests.Integration;

/// <summary>A webhook receiver on a fixed loopback port that can be taken down and brought back.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private WebApplication? _app;

    public int Port { get; } = FreePort();
    public string Url => $"http://127.0.0.1:{Port}/hooks";
    public ConcurrentQueue<Delivery> Received { get; } = new();

    /// <summary>One delivery: the body as JSON and as the exact bytes received (what the signature covers).</summary>
    public sealed record Delivery(JsonElement Body, string? Signature, byte[] Raw);

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{Port}");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/hooks", async (HttpContext http) =>
        {
            using var raw = new MemoryStream();
            await http.Request.Body.CopyToAsync(raw);
            Received.Enqueue(new Delivery(JsonSerializer.Deserialize<JsonElement>(raw.ToArray()), http.Request.Headers["X-Governance-Signature"].ToString(), raw.ToArray()));
            return Results.Ok();
        });
        await _app.StartAsync();
    }

    public async Task StopAsync()
    {
        if (_app is null)
            return;
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = null;
    }

    /// <summary>The deliveries that <paramref name="match"/>, once there are at least <paramref name="count"/> (the test fails otherwise).</summary>
    public async Task<IReadOnlyList<JsonElement>> WaitForAsync(Func<JsonElement, bool> match, int count, TimeSpan timeout) =>
        await Wait.For(() => Task.FromResult(Received.Select(r => r.Body).Where(match).ToList()), found => found.Count >= count,
            $"{count} matching webhook deliveries", timeout);

    /// <summary>
    /// Verifies a delivery's signature as a receiver must: <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA-256 of "&lt;t&gt;." and the raw
    /// body under the webhook's secret&gt;</c>, signed at <paramref name="signedAt"/>.
    /// </summary>
    public static void AssertSigned(string secret, DateTimeOffset signedAt, string? signature, byte[] raw)
    {
        var t = signedAt.ToUnixTimeSeconds();
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.").Concat(raw).ToArray());
        Assert.Equal($"t={t},v1={Convert.ToHexStringLower(mac)}", signature);
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
