using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Governance.Domain.Alerts;
using Governance.Domain.Budgets;
using Governance.Domain.Keys;
using Governance.Hosting.Secrets;
using Marten;
using Microsoft.Extensions.Logging;
using Wolverine.Attributes;

namespace Governance.Projections.Alerts;

/// <summary>A receiver answered with an error or could not be reached; Wolverine retries the message later.</summary>
public sealed class WebhookDeliveryFailed(string message) : Exception(message);

/// <summary>
/// Delivers alerts to the most specific webhook configured (the app's, else the global one). Runs from Wolverine's
/// durable local queue: a failed delivery is retried on a schedule that survives restarts, so a receiver that is
/// down gets the alert later, not never.
/// </summary>
[WolverineHandler]
public static class WebhookDelivery
{
    public const string ClientName = "webhooks";
    public const string SignatureHeader = "X-Governance-Signature";

    public static async Task Handle(
        BudgetAlert alert, IQuerySession session, IHttpClientFactory clients, SecretProtector secrets, TimeProvider clock, ILogger<BudgetAlert> log,
        CancellationToken ct)
    {
        var crossed = alert.Crossed;
        var app = crossed.Level switch
        {
            BudgetLevel.App => crossed.Owner,
            BudgetLevel.Key => (await session.LoadAsync<VirtualKey>(crossed.Owner, ct))?.App,
            _ => null,
        };
        var payload = new
        {
            type = "budget.threshold_crossed",
            level = crossed.Level.ToString().ToLowerInvariant(),
            owner = crossed.Owner,
            app,
            percent = crossed.Percent,
            limit = crossed.Limit,
            settled = crossed.Settled,
            windowStart = crossed.WindowStart,
            crossedAt = crossed.CrossedAt,
        };
        await SendAsync(session, clients, secrets, clock, log, app, payload, ct);
    }

    /// <summary>Sends to the first webhook configured among: the named channel, the app's, the global one.</summary>
    public static async Task SendAsync(
        IQuerySession session, IHttpClientFactory clients, SecretProtector secrets, TimeProvider clock, ILogger log, string? app, object payload,
        CancellationToken ct, string? channel = null)
    {
        var webhook = (channel is null ? null : await session.LoadAsync<Webhook>(Webhook.StreamId(channel), ct))
            ?? (app is null ? null : await session.LoadAsync<Webhook>(Webhook.StreamId(Webhook.AppScope(app)), ct))
            ?? await session.LoadAsync<Webhook>(Webhook.StreamId(Webhook.Global), ct);
        if (webhook is null)
        {
            log.LogInformation("No webhook configured for app {App} or globally; alert not delivered", app);
            return;
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(payload, JsonSerializerOptions.Web);
        // Bound to the scope and URL: a receiver URL changed in the database without the master key gets nothing.
        string secret;
        try
        {
            secret = secrets.Unprotect(webhook.EncryptedSecret, SecretBinding.Webhook(webhook.Scope, webhook.Url));
        }
        catch (SecretUnavailableException e)
        {
            // Retried on the schedule: a node started without the right master key may be fixed meanwhile.
            throw new WebhookDeliveryFailed($"The secret of webhook {webhook.Scope} cannot be decrypted: {e.Message}");
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(SignatureHeader, Signature(secret, clock.GetUtcNow(), body));
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(request, ct);
            if (!response.IsSuccessStatusCode)
                throw new WebhookDeliveryFailed($"Webhook {webhook.Scope} answered {(int)response.StatusCode}{((int)response.StatusCode is >= 300 and < 400 ? " (redirects are not followed)" : "")}.");
        }
        catch (HttpRequestException e)
        {
            throw new WebhookDeliveryFailed($"Webhook {webhook.Scope} unreachable: {e.Message}");
        }
    }

    /// <summary>
    /// <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA-256(secret, "&lt;t&gt;." ‖ body)&gt;</c>: the time is signed with the body, so a
    /// receiver that rejects old timestamps cannot be fed a captured delivery again (docs/cost-and-budgets.md, "Webhooks").
    /// Each attempt of a retried delivery is signed at its own time.
    /// </summary>
    public static string Signature(string secret, DateTimeOffset at, ReadOnlySpan<byte> body)
    {
        var t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret));
        hmac.AppendData(Encoding.UTF8.GetBytes(t + "."));
        hmac.AppendData(body);
        return $"t={t},v1={Convert.ToHexStringLower(hmac.GetHashAndReset())}";
    }
}
