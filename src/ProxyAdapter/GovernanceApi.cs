using System.Globalization;
using System.Net.Http.Headers;
using Governance.Contracts;

namespace ProxyAdapter;

/// <summary>
/// How this adapter reaches the governance API: its base URL and its operator token with the <c>adapter</c> role
/// (docs/leases-and-feed.md). The token is a secret: it is read from configuration (<c>Proxy__AdapterToken</c>) and
/// never logged.
/// </summary>
public sealed record GovernanceApiOptions(Uri BaseUrl, string Token)
{
    public const string ClientName = "governance";

    public static GovernanceApiOptions From(IConfiguration configuration) => new(
        new Uri(configuration["Proxy:GovernanceUrl"] ?? "http://127.0.0.1:5080/"),
        configuration["Proxy:AdapterToken"] ?? "");
}

public static class GovernanceApi
{
    /// <summary>The named client every call to the governance API goes through (tests swap its primary handler).</summary>
    public static IHttpClientBuilder AddGovernanceApiClient(this IServiceCollection services, GovernanceApiOptions options)
    {
        services.AddSingleton(options);
        return services.AddHttpClient(GovernanceApiOptions.ClientName, client =>
        {
            client.BaseAddress = options.BaseUrl;
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.Token);
            // The version of the wire records this adapter was built with: an API that does not speak it refuses every call
            // with a message naming the versions it does (docs/deployment.md, rolling upgrades).
            client.DefaultRequestHeaders.Add(ContractVersion.Header, ContractVersion.Current.ToString(CultureInfo.InvariantCulture));
            // Feed connections stay open; per-call deadlines are the callers' (cancellation tokens).
            client.Timeout = Timeout.InfiniteTimeSpan;
        });
    }
}
