using Governance.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ProxyAdapter.Observability;

/// <summary>
/// Whether this adapter receives the governance API's changes (keys, budgets, routing). The budget-lease and feed code
/// (issue #5) registers its own implementation (<c>services.AddSingleton&lt;IFeedHealth, …&gt;()</c>, before or after
/// <see cref="ProxyObservability.AddProxyObservability"/>) to report the feed connection itself; until then
/// <see cref="GovernanceApiLiveness"/> checks that the API answers.
/// </summary>
public interface IFeedHealth
{
    Task<HealthCheckResult> CheckAsync(CancellationToken ct);
}

/// <summary>The default: GET <c>{Proxy:GovernanceUrl}/health/live</c> answers 2xx within two seconds.</summary>
public sealed class GovernanceApiLiveness(IHttpClientFactory clients) : IFeedHealth
{
    public const string ClientName = "governance-health";

    public async Task<HealthCheckResult> CheckAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            using var response = await clients.CreateClient(ClientName).GetAsync(Readiness.LivePath.TrimStart('/'), timeout.Token);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy("governance API answers")
                : HealthCheckResult.Unhealthy($"governance API answered {(int)response.StatusCode}");
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("governance API unreachable");
        }
    }
}

internal sealed class FeedHealthCheck(IFeedHealth feed) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) => feed.CheckAsync(ct);
}
