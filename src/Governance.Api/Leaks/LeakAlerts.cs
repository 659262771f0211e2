using Governance.Hosting.Secrets;
using Governance.Projections.Alerts;
using Marten;
using Wolverine.Attributes;

namespace Governance.Api.Leaks;

/// <summary>
/// Delivers <see cref="LeakAlert"/> to the app's webhook (else the global one), signed like every alert and retried on
/// the webhook schedule from the durable queue. Carries the key id and where the leak was found, never the token.
/// </summary>
[WolverineHandler]
public static class LeakAlertDelivery
{
    public static Task Handle(
        LeakAlert alert, IQuerySession session, IHttpClientFactory clients, SecretProtector secrets, TimeProvider clock, ILogger<LeakAlert> log,
        CancellationToken ct) =>
        WebhookDelivery.SendAsync(session, clients, secrets, clock, log, alert.App, new
        {
            type = "key.leaked",
            keyId = alert.KeyId,
            app = alert.App,
            action = alert.Action,
            policy = alert.Policy,
            tokenType = alert.TokenType,
            url = alert.Url,
            source = alert.Source,
            leakId = alert.LeakId,
            reportedAt = alert.ReportedAt,
        }, ct);
}
