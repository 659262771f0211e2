using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Governance.Tests.Integration.Providers;

/// <summary>What a stand-in provider received: the raw request target (path and query as sent), the headers, the body.</summary>
public sealed record ReceivedCall(string Method, string Target, IReadOnlyDictionary<string, string> Headers, byte[] Body);

/// <summary>
/// A stand-in provider on a real loopback port (Kestrel), speaking one provider's documented wire format, recording what it
/// received. Each kind maps its routes in <see cref="Map"/>; answers are fixed, so tests can assert exact bytes.
/// </summary>
public abstract class StandIn : IAsyncDisposable
{
    private WebApplication? _app;

    public string BaseUrl { get; private set; } = "";
    public ConcurrentQueue<ReceivedCall> Received { get; } = new();

    protected abstract void Map(WebApplication app);

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        Map(_app);
        await _app.StartAsync();
        BaseUrl = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    /// <summary>Reads and records the request; the body's bytes are returned (a signature covers them exactly).</summary>
    protected async Task<ReceivedCall> Record(HttpContext http)
    {
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body);
        var call = new ReceivedCall(http.Request.Method, http.Features.Get<IHttpRequestFeature>()!.RawTarget,
            http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body.ToArray());
        Received.Enqueue(call);
        return call;
    }

    protected static async Task Json(HttpContext http, int status, string json, params (string Name, string Value)[] headers)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        foreach (var (name, value) in headers)
            http.Response.Headers[name] = value;
        await http.Response.WriteAsync(json);
    }

    /// <summary>Writes <paramref name="pieces"/> one by one, flushing each, as a provider streams.</summary>
    protected static async Task Stream(HttpContext http, string contentType, IEnumerable<byte[]> pieces)
    {
        http.Response.StatusCode = 200;
        http.Response.ContentType = contentType;
        foreach (var piece in pieces)
        {
            await http.Response.Body.WriteAsync(piece);
            await http.Response.Body.FlushAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
            await _app.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
