using Governance.Projections.Hosting;
using Marten;
using Weasel.Core;
using Weasel.Core.Migrations;

namespace Governance.Projections.Audit;

/// <summary>
/// The hash chain lives in PostgreSQL: a BEFORE INSERT trigger on <c>mt_events</c> hashes each row as it is written,
/// in the writer's transaction, whatever wrote it (Marten's quick append, a bulk copy, raw SQL). Registered as a
/// Marten storage feature, which Marten applies after its own event tables, so it exists wherever Marten creates or
/// migrates the schema. See docs/audit.md for the canonical form.
/// </summary>
internal sealed class AuditChainFeature(StoreOptions options)
    : FeatureSchemaBase("AuditChain", options.Advanced.Migrator)
{
    protected override IEnumerable<ISchemaObject> schemaObjects()
    {
        yield return new AuditChainTrigger(options.Events.DatabaseSchemaName);
    }
}

/// <summary>
/// The functions, the trigger, the record of where the chain starts and a backfill for the events before it (docs/audit.md,
/// "Where the chain starts").
/// </summary>
internal sealed class AuditChainTrigger(string schema) : EventsTableTrigger(schema, TriggerName)
{
    public const string TriggerName = "gov_audit_chain";

    protected override string CreateSql => $"""
        {AuditChainSql.Functions(Schema)}
        DROP TRIGGER IF EXISTS {TriggerName} ON {Schema}.mt_events;
        CREATE TRIGGER {TriggerName} BEFORE INSERT ON {Schema}.mt_events FOR EACH ROW EXECUTE FUNCTION {Schema}.gov_audit_chain();
        {AuditChainSql.ChainStart(Schema)}
        {AuditChainSql.Backfill(Schema)}
        """;
}
