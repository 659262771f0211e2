using Microsoft.Extensions.Hosting;

namespace Governance.Hosting.Audit;

/// <summary>
/// Records the minutes of a <see cref="RefusalTally"/>: every <see cref="Every"/>, those that have ended; when the process
/// stops, the one in progress too. A crash loses the counts of the minute in progress: counts of refusals, never money.
/// How a minute is recorded is the subclass's (an adapter ships it through its journal, an API node appends it).
/// </summary>
public abstract class RefusalMinutes(TimeProvider clock) : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(5);

    /// <summary>The clock minutes are sealed by (and ticks counted on).</summary>
    protected TimeProvider Clock { get; } = clock;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every, Clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                await FlushAsync(all: false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(all: true);
    }

    /// <summary>Seals and records what is due (everything with <paramref name="all"/>); never throws.</summary>
    public abstract Task FlushAsync(bool all);
}
