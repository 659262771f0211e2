using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Governance.Tests.Integration.Secrets;

/// <summary>
/// A stand-in HTTP server on a loopback port: it records every request's path and headers and answers with
/// <see cref="Answer"/> (default: 404). As an attacker's host it proves what reached it; as a provider it can redirect.
/// </summary>
public sealed class StandIn : IAsyncDisposable
{
    private WebApplication? _app;

    public string Url { get; private set; } = "";
    public int Port => new Uri(Url).Port;
    public ConcurrentQueue<(string Path, IReadOnlyDictionary<string, string> Headers)> Requests { get; } = new();
    public Func<HttpContext, IResult> Answer { get; set; } = _ => Results.NotFound();

    public static async Task<StandIn> StartAsync(Func<HttpContext, IResult>? answer = null)
    {
        var standIn = new StandIn();
        if (answer is not null)
            standIn.Answer = answer;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        standIn._app = builder.Build();
        standIn._app.Map("/{**path}", (HttpContext http) =>
        {
            standIn.Requests.Enqueue((http.Request.Path, http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString())));
            return standIn.Answer(http);
        });
        await standIn._app.StartAsync();
        standIn.Url = standIn._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return standIn;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
            await _app.DisposeAsync();
    }
}
