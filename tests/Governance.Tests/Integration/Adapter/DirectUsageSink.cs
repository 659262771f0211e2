using Governance.Contracts.Audit;
using Governance.Contracts.Usage;
using Governance.Domain.Access;
using Governance.Projections.Usage;
using Governance.Store.Audit;
using Governance.Store.Usage;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ProxyAdapter;
using ProxyAdapter.Reporting;
using Wolverine.Runtime;

namespace Governance.Tests.Integration.Adapter;

/// <summary>
/// A non-durable stand-in for the adapter's usage journal, so tests see usage in the ledger the moment a call ends: each
/// report goes straight into the ledger through the API host's store and message runtime (<paramref name="api"/>), as
/// <c>POST /api/usage</c> writes it, and is acknowledged with the ledger's outcome at once; each denial is recorded as
/// the API records them. The proxy host itself has no store (it runs none).
/// </summary>
public sealed class DirectUsageSink(IServiceProvider api, AdapterIdentity adapter, TimeProvider clock, ILogger<DirectUsageSink> log)
    : IUsageSink
{
    private readonly IDocumentStore _store = api.GetRequiredService<IDocumentStore>();
    private readonly IWolverineRuntime _runtime = api.GetRequiredService<IWolverineRuntime>();
    private readonly UsageOptions _options = api.GetRequiredService<UsageOptions>();

    public event Action<IReadOnlyList<(UsageReport Report, UsageOutcome Outcome)>>? Acknowledged;

    /// <summary>When set, every report waits for it before it is written: a journal whose commit has not finished yet.</summary>
    public Task? Holding { get; set; }

    public async ValueTask AppendAsync(UsageReport report, CancellationToken ct)
    {
        if (Holding is { } holding)
            await holding;
        var outcomes = await UsageLedger.RecordAsync(_store, _runtime, [report], new UsageCaller(adapter.Actor, adapter.Id), _options, clock.GetUtcNow(), ct);
        Acknowledged?.Invoke([(report, outcomes[0])]);
    }

    public async ValueTask AppendAsync(RequestDenied denied, CancellationToken ct) => await Denials.RecordAsync(_store, denied, log);

    public async ValueTask AppendAsync(RefusalReport refusals, CancellationToken ct) =>
        await Refusals.RecordBatchAsync(_store, [refusals], adapter.Actor, clock.GetUtcNow(), ct);
}
