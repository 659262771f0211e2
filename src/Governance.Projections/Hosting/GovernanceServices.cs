using Governance.Domain.Keys;
using Governance.Hosting;
using Governance.Hosting.Outbound;
using Governance.Hosting.Secrets;
using Governance.Projections.Alerts;
using Governance.Projections.Usage;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Wolverine.Marten;

namespace Governance.Projections.Hosting;

public static class GovernanceServices
{
    /// <summary>
    /// What every node (API or adapter) needs: the event store with Wolverine's outbox in the same database,
    /// the clock, the master-key protector, ledger settings, the outbound address policy and the webhook client.
    /// </summary>
    public static MartenServiceCollectionExtensions.MartenConfigurationExpression AddGovernanceStore(
        this IServiceCollection services, GovernanceSettings settings, IConfiguration configuration)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(MasterKeys.ProtectorFrom(configuration));
        services.AddSingleton(LedgerOptions.From(configuration));
        services.AddSingleton(new AnomalyRule(
            configuration.GetValue("Anomaly:Multiplier", AnomalyRule.Default.Multiplier),
            configuration.GetValue("Anomaly:FloorUsd", AnomalyRule.Default.Floor),
            configuration.GetValue("Anomaly:TrailingHours", AnomalyRule.Default.TrailingHours)));
        services.AddSingleton(new AnomalyThrottle(TimeSpan.FromSeconds(configuration.GetValue("Anomaly:CheckIntervalSeconds", 60))));
        services.AddSingleton(OutboundPolicy.From(configuration));
        // Receivers are operator-given URLs: checked addresses only, no redirects (docs/cost-and-budgets.md, "Webhooks").
        services.AddHttpClient(WebhookDelivery.ClientName, client => client.Timeout = TimeSpan.FromSeconds(10))
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<OutboundPolicy>().Guard(new SocketsHttpHandler()));
        // Event timestamps from the same clock as every decision (see ConfigureGovernance's append mode).
        services.ConfigureMarten((sp, opts) => opts.Events.TimeProvider = sp.GetRequiredService<TimeProvider>());
        return services.AddMarten(opts => opts.ConfigureGovernance(settings.ConnectionString, settings.Schema))
            .UseLightweightSessions()
            .IntegrateWithWolverine(w => w.MessageStorageSchemaName = settings.Schema + "_wolverine");
    }
}
