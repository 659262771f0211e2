using Governance.Domain.Alerts;
using Governance.Domain.Approvals;
using Governance.Hosting.Secrets;
using Governance.Projections.Alerts;
using Marten;
using Microsoft.Extensions.Logging;
using Wolverine;
using Wolverine.Attributes;

namespace Governance.Projections.Approvals;

/// <summary>Scheduled at grant time for the grant's expiry. Time enforcement at every decision does not wait for it.</summary>
public sealed record ExpireGrant(string RequestId);

/// <summary>Scheduled at request time when the policy lapses undecided requests.</summary>
public sealed record LapseAccessRequest(string RequestId);

/// <summary>Tell approvers about a new request, or the requester's app about a decision.</summary>
public sealed record AccessNotice(string Type, string RequestId);

[WolverineHandler]
public static class AccessMessageHandlers
{
    public const string Actor = "system:scheduler";

    public static Task Handle(ExpireGrant message, IDocumentSession session, IMessageBus bus, TimeProvider clock, CancellationToken ct) =>
        ApplyAsync(session, bus, message.RequestId, clock.GetUtcNow(), r => r.GrantExpiry, AccessDecider.Expire, message, ct);

    public static Task Handle(LapseAccessRequest message, IDocumentSession session, IMessageBus bus, TimeProvider clock, CancellationToken ct) =>
        ApplyAsync(session, bus, message.RequestId, clock.GetUtcNow(), r => r.RequestedAt.AddDays(r.Policy.UndecidedExpiryDays ?? 0), AccessDecider.Lapse, message, ct);

    /// <summary>Applies a scheduled transition; when it arrives early (clocks differ), it comes back when due.</summary>
    private static async Task ApplyAsync<T>(
        IDocumentSession session, IMessageBus bus, string requestId, DateTimeOffset now, Func<AccessRequest, DateTimeOffset?> due,
        Func<AccessRequest, string, DateTimeOffset, object[]> decide, T message, CancellationToken ct) where T : notnull
    {
        var stream = await session.Events.FetchForWriting<AccessRequest>(requestId, ct);
        if (stream.Aggregate is not { } request)
            return;
        var events = decide(request, Actor, now);
        if (events.Length > 0)
            stream.AppendMany(events);
        else if (due(request) is { } at && at > now && request.Status is AccessStatus.Pending or AccessStatus.Granted)
            await bus.ScheduleAsync(message, at - now);
    }

    public static async Task Handle(
        AccessNotice notice, IQuerySession session, IHttpClientFactory clients, SecretProtector secrets, TimeProvider clock, ILogger<AccessNotice> log,
        CancellationToken ct)
    {
        var request = await session.LoadAsync<AccessRequest>(notice.RequestId, ct);
        if (request is null)
            return;
        var payload = new
        {
            type = notice.Type,
            requestId = request.Id,
            model = request.Model,
            app = request.App,
            keyId = request.KeyId,
            requestedBy = request.RequestedBy,
            justification = request.Justification,
            status = request.Status.ToString().ToLowerInvariant(),
            approvals = request.Approvals.Count,
            approvalsRequired = request.Policy.ApprovalsRequired,
            grantExpiry = request.GrantExpiry,
            reason = request.StatusReason,
        };
        // New requests go to the approvers' webhook; decisions to the requester's app. Both fall back to the global one.
        if (notice.Type == "access.requested")
            await WebhookDelivery.SendAsync(session, clients, secrets, clock, log, null, payload, ct, Webhook.Approvers);
        else
            await WebhookDelivery.SendAsync(session, clients, secrets, clock, log, request.App, payload, ct);
    }
}
