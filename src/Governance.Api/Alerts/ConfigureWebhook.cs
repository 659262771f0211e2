using System.Security.Claims;
using FluentValidation;
using Governance.Api.Infrastructure;
using Governance.Domain.Alerts;
using Governance.Domain.Operators;
using Governance.Hosting.Outbound;
using Governance.Hosting.Secrets;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Alerts;

public sealed record ConfigureWebhook(string Url, string Secret)
{
    public sealed class Validator : AbstractValidator<ConfigureWebhook>
    {
        public Validator(OutboundPolicy outbound)
        {
            // Deliveries carry alert data and a signature: no metadata or link-local address, private ones only if allowed.
            RuleFor(x => x.Url).CustomAsync(async (url, context, ct) =>
            {
                if (await outbound.UrlRefusalAsync(url, ct) is { } refused)
                    context.AddFailure(nameof(Url), $"'url' {refused}.");
            });
            RuleFor(x => x.Secret).NotEmpty().MinimumLength(16).MaximumLength(512);
        }
    }
}

/// <summary>What operators see of a webhook: the secret is write-only.</summary>
public sealed record WebhookView(string Scope, string Url);

/// <summary>
/// Alert receivers: one global, and optionally one per app (the app's wins for its alerts), and one for approvers
/// (new access requests; the global one otherwise).
/// </summary>
[Roles(OperatorRoles.Admin)]
public static class ConfigureWebhookEndpoints
{
    [WolverinePut("/api/webhooks/global")]
    public static WebhookView PutGlobal(ConfigureWebhook command, IDocumentSession session, SecretProtector secrets, ClaimsPrincipal user, TimeProvider clock) =>
        Configure(Webhook.Global, command, session, secrets, user, clock);

    [WolverinePut("/api/webhooks/approvers")]
    public static WebhookView PutApprovers(ConfigureWebhook command, IDocumentSession session, SecretProtector secrets, ClaimsPrincipal user, TimeProvider clock) =>
        Configure(Webhook.Approvers, command, session, secrets, user, clock);

    [WolverinePut("/api/apps/{app}/webhook")]
    public static WebhookView PutForApp(string app, ConfigureWebhook command, IDocumentSession session, SecretProtector secrets, ClaimsPrincipal user, TimeProvider clock) =>
        Configure(Webhook.AppScope(app), command, session, secrets, user, clock);

    private static WebhookView Configure(string scope, ConfigureWebhook command, IDocumentSession session, SecretProtector secrets, ClaimsPrincipal user, TimeProvider clock)
    {
        session.Events.Append(Webhook.StreamId(scope),
            new WebhookConfigured(scope, command.Url, secrets.Protect(command.Secret, SecretBinding.Webhook(scope, command.Url)), user.Actor(), clock.GetUtcNow()));
        return new WebhookView(scope, command.Url);
    }
}
