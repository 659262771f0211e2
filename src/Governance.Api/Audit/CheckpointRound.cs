using Governance.Projections.Audit;
using Wolverine;
using Wolverine.Attributes;

namespace Governance.Api.Audit;

/// <summary>A checkpoint for the witness URL (<c>Audit:WitnessUrl</c>).</summary>
public sealed record WitnessCheckpoint(AuditCheckpointed Checkpoint);

/// <summary>
/// One checkpoint round, as the periodic timer and <c>POST /api/audit/checkpoints</c> run it: check the newest checkpoint
/// and sign the next one (<see cref="AuditCheckpoints"/>), then hand it to the witness (the directory now, the URL through
/// the durable local queue). A refusal raises the <see cref="CheckpointAlarm"/> and is rethrown.
/// </summary>
public sealed class CheckpointRound(AuditCheckpoints checkpoints, CheckpointWitness witness, CheckpointAlarm alarm, IServiceScopeFactory scopes)
{
    public async Task<AuditCheckpointed?> RunAsync(bool periodic, CancellationToken ct)
    {
        CheckpointOutcome outcome;
        try
        {
            outcome = await checkpoints.WriteAsync(periodic, ct);
        }
        catch (CheckpointRefused refused)
        {
            await alarm.RaiseAsync(refused, ct);
            throw;
        }
        // When another node held the lock, nothing was checked: the alarm stays as it was.
        if (outcome.Checked)
            alarm.Verified(checkpoints.Known);
        if (outcome.Written is { } written)
            await WitnessAsync(written, ct);
        return outcome.Written;
    }

    private async Task WitnessAsync(AuditCheckpointed checkpoint, CancellationToken ct)
    {
        try
        {
            await witness.WriteAsync(checkpoint, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await alarm.WitnessFailedAsync(checkpoint, e, ct);
        }
        if (witness.Url is not null)
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<IMessageBus>().PublishAsync(new WitnessCheckpoint(checkpoint));
        }
    }
}

[WolverineHandler]
public static class WitnessDelivery
{
    public const string ClientName = "audit-witness";

    /// <summary>POSTs the checkpoint as JSON; an error answer or no answer is retried on the webhook schedule.</summary>
    public static async Task Handle(WitnessCheckpoint message, CheckpointWitness witness, IHttpClientFactory clients, CancellationToken ct)
    {
        if (witness.Url is not { } url)
            return;
        try
        {
            using var content = new ByteArrayContent(CheckpointWitness.Serialize(message.Checkpoint));
            content.Headers.ContentType = new("application/json");
            using var response = await clients.CreateClient(ClientName).PostAsync(url, content, ct);
            if (!response.IsSuccessStatusCode)
                throw new Governance.Projections.Alerts.WebhookDeliveryFailed($"The audit witness answered {(int)response.StatusCode}.");
        }
        catch (HttpRequestException e)
        {
            throw new Governance.Projections.Alerts.WebhookDeliveryFailed($"The audit witness is unreachable: {e.Message}");
        }
    }
}
