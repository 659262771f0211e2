using Governance.Hosting.Audit;
using Governance.Projections.Audit;

namespace Governance.Api.Audit;

/// <summary>
/// Signs a checkpoint every <c>Audit:CheckpointIntervalSeconds</c> (default 600; 0 turns it off) when anything but
/// checkpoints was appended since the last one. Every API node runs it; an advisory lock lets one write at a time and
/// the others skip that round.
/// </summary>
internal sealed class PeriodicCheckpoints(
    CheckpointRound round, CheckpointSigner signer, CheckpointWitness witness, IConfiguration configuration, ILogger<PeriodicCheckpoints> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The key id auditors compare with the public key they were given.
        log.LogInformation("Audit checkpoints are signed with ECDSA P-256 key {KeyId}; witness directory {WitnessDirectory}, witness URL {WitnessUrl}",
            signer.KeyId, witness.Directory ?? "(none)", witness.Url?.ToString() ?? "(none)");
        var interval = TimeSpan.FromSeconds(configuration.GetValue("Audit:CheckpointIntervalSeconds", 600));
        if (interval <= TimeSpan.Zero)
            return;
        // Wall-clock ticks: this is scheduling, not a business decision.
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
            await RunOnceAsync(stoppingToken);
    }

    public async Task RunOnceAsync(CancellationToken ct)
    {
        using var _ = AuditContext.Begin(new AuditActor(AuditCheckpoints.SystemActor, "checkpoint-" + Guid.NewGuid().ToString("N")));
        try
        {
            if (await round.RunAsync(periodic: true, ct) is { } written)
                log.LogInformation("Signed audit checkpoint up to sequence {Sequence} ({Events} events)", written.Sequence, written.Events);
        }
        catch (CheckpointRefused)
        {
            // The alarm has logged it, counted it and told the webhook; the next round checks again.
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The next round tries again.
            log.LogError(e, "Could not write the periodic audit checkpoint");
        }
    }
}
