using Governance.Contracts.Audit;
using Governance.Contracts.Usage;
using Governance.Domain.Access;

namespace ProxyAdapter.Reporting;

/// <summary>
/// Where the adapter puts what happened to each call: completed requests (priced and settled by the governance API's
/// <c>POST /api/usage</c>), refused ones (kept so they can be explained) and the per-minute counts of refusals decided from
/// the headers alone (<c>POST /api/refusals</c>). An append is durable when it completes:
/// the record survives a crash of the adapter and an outage of the API or PostgreSQL, and is shipped, in batches and
/// with its idempotent request id, until the API has acknowledged it.
/// </summary>
public interface IUsageSink
{
    /// <summary>Completes once the report is on local disk. Throws only when the local disk itself fails.</summary>
    ValueTask AppendAsync(UsageReport report, CancellationToken ct);

    /// <summary>Completes once the denial is on local disk. Throws only when the local disk itself fails.</summary>
    ValueTask AppendAsync(RequestDenied denied, CancellationToken ct);

    /// <summary>Completes once a minute of refusals from the headers is on local disk. Throws only when the local disk itself fails.</summary>
    ValueTask AppendAsync(RefusalReport refusals, CancellationToken ct);

    /// <summary>
    /// Raised after the API acknowledged reports (including ones it already had: duplicates), with the API's
    /// outcome for each. Reports replayed from disk after a restart are acknowledged again through this event.
    /// </summary>
    event Action<IReadOnlyList<(UsageReport Report, UsageOutcome Outcome)>>? Acknowledged;
}
