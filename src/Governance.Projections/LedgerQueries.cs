using Governance.Domain.Usage;
using Marten;

namespace Governance.Projections;

public static class LedgerQueries
{
    /// <summary>The total cost of the matching ledger entries; 0 when there are none (SQL SUM over no rows is null).</summary>
    public static async Task<decimal> TotalCostAsync(this IQueryable<RequestRecord> query, CancellationToken ct) =>
        await query.AnyAsync(ct) ? await query.SumAsync(r => r.Cost, ct) : 0m;

    /// <summary>
    /// A stream with this id already exists: another writer created it first. Marten raises either of two types,
    /// depending on the append path.
    /// </summary>
    public static bool IsStreamCollision(this Exception e) =>
        e is JasperFx.Events.ExistingStreamIdCollisionException or Marten.Exceptions.ExistingStreamIdCollisionException;
}
