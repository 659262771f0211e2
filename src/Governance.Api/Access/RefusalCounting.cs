using Governance.Contracts.Audit;
using Governance.Domain.Access;
using Governance.Hosting.Audit;
using Governance.Store.Audit;
using Marten;

namespace Governance.Api.Access;

/// <summary>
/// The refusals <c>POST /api/authorize</c> decides from the key alone (<see cref="HeaderRefusals.DecidedByKeyAlone"/>:
/// unknown, malformed, revoked, expired, rotated, suspended keys), counted per API node process and minute in a
/// <see cref="RefusalTally"/> and appended by the node itself (<see cref="RefusalMinutes"/>): every few seconds, each minute
/// that has ended as one <c>refusals_counted</c> event, and when the node stops, the minute in progress too. Whoever holds an adapter token
/// chooses how many such refusals there are, so none of them is an event of its own.
/// </summary>
/// <remarks>
/// A crash loses the counts of the minute in progress (and of a minute that ended less than <see cref="RefusalMinutes.Every"/> before):
/// counts of refusals, never money. A minute that could not be appended (PostgreSQL away) is tried again at the next
/// tick; at most <see cref="MaxPending"/> wait, the oldest are dropped (and logged) past that. Authorize reads the key
/// from PostgreSQL, so while it is away nothing new is counted either.
/// </remarks>
public sealed partial class RefusalCounting(IDocumentStore store, TimeProvider clock, ILogger<RefusalCounting> log) : RefusalMinutes(clock)
{
    public const string Actor = "system:api-refusals";
    public const int MaxPending = 60;

    private readonly SemaphoreSlim _flushing = new(1, 1);
    private readonly List<RefusalReport> _pending = [];

    /// <summary>This node's counts. Its reporter id, <c>api:&lt;host&gt;</c>, is never an adapter's (adapter ids have no colon).</summary>
    public RefusalTally Tally { get; } = new("api:" + Environment.MachineName);

    public void Count(string presentedKey, AccessDecision refusal, DateTimeOffset now) =>
        Tally.Count(HeaderRefusals.Classify(presentedKey, refusal), now);

    /// <summary>Seals what is due (everything with <paramref name="all"/>) and appends it with what waits; never throws.</summary>
    public override async Task FlushAsync(bool all)
    {
        await _flushing.WaitAsync();
        try
        {
            var now = Clock.GetUtcNow();
            _pending.AddRange(Tally.Seal(now, all));
            if (_pending.Count == 0)
                return;
            using var _ = AuditContext.Begin(new AuditActor(Actor, "refusals-" + Guid.NewGuid().ToString("N")));
            await Refusals.RecordBatchAsync(store, _pending, Actor, now, CancellationToken.None);
            _pending.Clear();
        }
        catch (Exception e)
        {
            LogNotRecorded(e, _pending.Count);
            if (_pending.Count > MaxPending)
            {
                var dropped = _pending.Count - MaxPending;
                LogLost(_pending.Take(dropped).Sum(r => r.Counts.Sum(c => c.Count)), dropped);
                _pending.RemoveRange(0, dropped);
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    public override void Dispose()
    {
        _flushing.Dispose();
        base.Dispose();
    }

    [LoggerMessage(LogLevel.Warning, "Could not record {Minutes} minutes of refusals counted by /api/authorize; trying again shortly")]
    private partial void LogNotRecorded(Exception e, int minutes);

    [LoggerMessage(LogLevel.Error, "Dropped {Refusals} refusals counted by /api/authorize in {Minutes} minutes that could not be recorded")]
    private partial void LogLost(long refusals, int minutes);
}

public static class RefusalCountingServices
{
    /// <summary>One <see cref="RefusalCounting"/> per API node: the authorize endpoint counts into it, it appends the minutes.</summary>
    public static IServiceCollection AddRefusalCounting(this IServiceCollection services) =>
        services.AddSingleton<RefusalCounting>().AddHostedService(sp => sp.GetRequiredService<RefusalCounting>());
}
