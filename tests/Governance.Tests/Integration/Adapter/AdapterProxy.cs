using Alba;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ProxyAdapter;
using ProxyAdapter.Reporting;

namespace Governance.Tests.Integration.Adapter;

/// <summary>
/// What makes a proxy host an adapter of an in-memory API host: its adapter id and token, the governance client and
/// the readiness probe on the API's in-memory handler (<paramref name="governance"/> may wrap it), the direct usage
/// sink (it writes through the API host's store), and the catch-up wait before each proxied request.
/// </summary>
public static class AdapterProxy
{
    public static void Configure(
        IWebHostBuilder web, IAlbaHost api, string adapterId, string token, IStartupFilter? catchUp,
        Func<HttpMessageHandler, HttpMessageHandler>? governance = null)
    {
        web.UseSetting("Proxy:AdapterId", adapterId);
        web.UseSetting("Proxy:GovernanceUrl", "http://localhost/");
        web.UseSetting("Proxy:AdapterToken", token);
        web.ConfigureServices(services =>
        {
            services.AddHttpClient(GovernanceApiOptions.ClientName)
                .ConfigurePrimaryHttpMessageHandler(() => governance is null ? api.Server.CreateHandler() : governance(api.Server.CreateHandler()));
            services.AddSingleton<IUsageSink>(sp => new DirectUsageSink(
                api.Services, sp.GetRequiredService<AdapterIdentity>(), sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<DirectUsageSink>>()));
            // The proxy's readiness asks the API (in memory here) whether it answers.
            services.AddHttpClient(ProxyAdapter.Observability.GovernanceApiLiveness.ClientName)
                .ConfigurePrimaryHttpMessageHandler(() => api.Server.CreateHandler());
            if (catchUp is not null)
                services.AddSingleton(catchUp);
        });
    }
}
