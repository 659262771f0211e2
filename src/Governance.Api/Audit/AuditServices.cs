using Governance.Hosting.Audit;
using Governance.Hosting.Outbound;
using Governance.Projections.Audit;

namespace Governance.Api.Audit;

public static class AuditServices
{
    /// <summary>
    /// Checkpoint signing (the private key from Audit:SigningKeyFile or Audit:SigningKey, required), the witness
    /// (Audit:WitnessDirectory, Audit:WitnessUrl), the alarm and the periodic checkpoint.
    /// </summary>
    public static IServiceCollection AddAuditTrail(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(CheckpointSigner.From(configuration));
        services.AddSingleton(CheckpointWitness.From(configuration));
        services.AddSingleton<AuditCheckpoints>();
        services.AddSingleton<CheckpointAlarm>();
        services.AddSingleton<CheckpointRound>();
        // The witness URL gets the webhooks' guard: checked addresses on every connection, no redirects (docs/gateway.md).
        services.AddHttpClient(WitnessDelivery.ClientName, client => client.Timeout = TimeSpan.FromSeconds(10))
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<OutboundPolicy>().Guard(new SocketsHttpHandler()));
        services.AddSingleton<PeriodicCheckpoints>();
        services.AddHostedService(sp => sp.GetRequiredService<PeriodicCheckpoints>());
        return services;
    }

    /// <summary>Runs a start-up service with <paramref name="actor"/> ("system:&lt;reason&gt;") on every event it appends.</summary>
    public static IServiceCollection AddAttributedHostedService<T>(this IServiceCollection services, string actor) where T : class, IHostedService =>
        // One wrapper type per service: hosted services registered by factory are told apart by their type.
        services.AddHostedService(sp => new AttributedHostedService<T>(ActivatorUtilities.CreateInstance<T>(sp), actor));

    /// <summary>The actor of operator requests: the authenticated token's id.</summary>
    public static IApplicationBuilder UseOperatorAuditActor(this IApplicationBuilder app) =>
        app.UseAuditActor(context => context.User.Identity?.IsAuthenticated == true ? context.User.Actor() : null);

    private sealed class AttributedHostedService<T>(T inner, string actor) : IHostedService where T : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            using (AuditContext.Begin(new AuditActor(actor, "startup-" + Guid.NewGuid().ToString("N"))))
                await inner.StartAsync(cancellationToken);
        }

        public Task StopAsync(CancellationToken cancellationToken) => inner.StopAsync(cancellationToken);
    }
}
