using Marten;

namespace Governance.Projections;

public static class LedgerQueries
{
    /// <summary>
    /// A stream with this id already exists: another writer created it first. Marten raises either of two types,
    /// depending on the append path.
    /// </summary>
    public static bool IsStreamCollision(this Exception e) =>
        e is JasperFx.Events.ExistingStreamIdCollisionException or Marten.Exceptions.ExistingStreamIdCollisionException;
}
