using Governance.Store.Leases;
using Governance.Store.Usage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Governance.Store;

public static class BookServices
{
    /// <summary>The books' settings: the usage ledger's clock skew and the lease sizing (docs/leases-and-feed.md).</summary>
    public static IServiceCollection AddBooks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(UsageOptions.From(configuration));
        services.AddSingleton(LeaseOptions.From(configuration));
        services.AddSingleton(RateLeaseOptions.From(configuration));
        return services;
    }
}
