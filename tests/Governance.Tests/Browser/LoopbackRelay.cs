using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;

namespace Governance.Tests.Browser;

/// <summary>
/// A real loopback port in front of an in-memory test server, for a browser to reach. (The API's own host can't listen
/// itself here: WebApplicationFactory's Kestrel mode never started listening for this app.) It relays each request and
/// response as it is, headers included, so the browser sees exactly what the API answers.
/// </summary>
public sealed class LoopbackRelay : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackRelay(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public static async Task<LoopbackRelay> StartAsync(TestServer target)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var invoker = new HttpMessageInvoker(target.CreateHandler());
        app.Run(context => RelayAsync(invoker, target.BaseAddress, context));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LoopbackRelay(app, address);
    }

    private static async Task RelayAsync(HttpMessageInvoker invoker, Uri target, HttpContext context)
    {
        var url = new Uri(target, context.Request.PathBase + context.Request.Path + context.Request.QueryString);
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), url);
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
            request.Content = new StreamContent(context.Request.Body);
        foreach (var (name, values) in context.Request.Headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, values.ToArray()))
                request.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
        }
        using var response = await invoker.SendAsync(request, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            context.Response.Headers[name] = values.ToArray();
        // Kestrel frames the body itself.
        context.Response.Headers.TransferEncoding = default;
        await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
