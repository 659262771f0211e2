using System.Diagnostics.Metrics;
using Governance.Api.Infrastructure;
using Governance.Hosting.Secrets;
using Governance.Projections.Alerts;
using Governance.Projections.Audit;
using Marten;
using Wolverine;
using Wolverine.Attributes;

namespace Governance.Api.Audit;

/// <summary>Tells the global webhook that checkpointing stopped (or that a checkpoint could not be witnessed), and why.</summary>
public sealed record AuditCheckpointAlert(string Code, string Detail, DateTimeOffset At);

/// <summary>
/// Raised when a checkpoint round refuses to sign or cannot witness what it signed: an error log line every round,
/// <c>gov_audit_checkpoint_refusals_total{code}</c>, <c>gov_audit_checkpoint_halted</c> = 1 until a round succeeds, and one
/// <see cref="AuditCheckpointAlert"/> to the global webhook per distinct problem (not one every round).
/// </summary>
public sealed partial class CheckpointAlarm
{
    private readonly IServiceScopeFactory _scopes;
    private readonly ILogger<CheckpointAlarm> _log;
    private readonly TimeProvider _clock;
    private readonly Counter<long> _refusals;
    private readonly Lock _gate = new();
    private string? _raised;
    private int _halted;
    private long _sequence;

    public CheckpointAlarm(IMeterFactory meters, IServiceScopeFactory scopes, ILogger<CheckpointAlarm> log, TimeProvider clock)
    {
        (_scopes, _log, _clock) = (scopes, log, clock);
        var meter = meters.Create(ApiObservability.MeterName);
        _refusals = meter.CreateCounter<long>("gov.audit.checkpoint.refusals",
            description: "Checkpoint rounds that refused to sign, or could not witness a checkpoint, by code.");
        meter.CreateObservableGauge("gov.audit.checkpoint.halted", () => Volatile.Read(ref _halted),
            description: "1 while checkpointing is stopped: the last round refused to sign.");
        meter.CreateObservableGauge("gov.audit.checkpoint.sequence", () => Interlocked.Read(ref _sequence),
            description: "The sequence the newest checkpoint this node verified or wrote covers up to.");
    }

    public bool Halted => Volatile.Read(ref _halted) == 1;

    /// <summary>A round refused to sign: checkpointing stays stopped until one succeeds.</summary>
    public Task RaiseAsync(CheckpointRefused refused, CancellationToken ct)
    {
        Volatile.Write(ref _halted, 1);
        return AlertAsync(refused.Code, refused.Message, ct);
    }

    /// <summary>A checkpoint was written but could not be witnessed (the directory was not writable).</summary>
    public Task WitnessFailedAsync(AuditCheckpointed checkpoint, Exception e, CancellationToken ct) =>
        AlertAsync("witness_failed", $"The checkpoint up to sequence {checkpoint.Sequence} could not be written to the witness: {e.Message}", ct);

    /// <summary>A round verified the newest checkpoint (and maybe wrote one).</summary>
    public void Verified(AuditCheckpointed? newest)
    {
        Volatile.Write(ref _halted, 0);
        if (newest is not null)
            Interlocked.Exchange(ref _sequence, newest.Sequence);
        lock (_gate)
            _raised = null;
    }

    private async Task AlertAsync(string code, string detail, CancellationToken ct)
    {
        LogRefused(code, detail);
        _refusals.Add(1, new KeyValuePair<string, object?>("code", code));
        lock (_gate)
        {
            if (_raised == code + detail)
                return;
            _raised = code + detail;
        }
        await using var scope = _scopes.CreateAsyncScope();
        // Through the durable local queue: a receiver that is down gets the alert later.
        await scope.ServiceProvider.GetRequiredService<IMessageBus>().PublishAsync(new AuditCheckpointAlert(code, detail, _clock.GetUtcNow()));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit checkpointing refused ({Code}): {Detail}")]
    private partial void LogRefused(string code, string detail);
}

[WolverineHandler]
public static class AuditCheckpointAlertDelivery
{
    public static Task Handle(
        AuditCheckpointAlert alert, IQuerySession session, IHttpClientFactory clients, SecretProtector secrets, TimeProvider clock,
        ILogger<AuditCheckpointAlert> log, CancellationToken ct) =>
        WebhookDelivery.SendAsync(session, clients, secrets, clock, log, null, new
        {
            type = "audit.checkpoint_refused",
            code = alert.Code,
            detail = alert.Detail,
            at = alert.At,
        }, ct);
}
