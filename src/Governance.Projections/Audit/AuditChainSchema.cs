using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Marten;
using Weasel.Core;
using Weasel.Core.Migrations;
using Weasel.Postgresql;
using DbCommandBuilder = Weasel.Core.DbCommandBuilder;

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

/// <summary>The functions, the trigger and a one-off backfill for events written before the trigger existed.</summary>
internal sealed class AuditChainTrigger(string schema) : ISchemaObject
{
    public const string TriggerName = "gov_audit_chain";

    public DbObjectName Identifier { get; } = new PostgresqlObjectName(schema, TriggerName, SchemaUtils.IdentifierUsage.General);

    /// <summary>Compared with the trigger's comment: a change to the SQL below re-creates everything on the next migration.</summary>
    private string Version => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(AuditChainSql.Functions(schema) + AuditChainSql.Backfill(schema))))[..16];

    public void WriteCreateStatement(Migrator migrator, TextWriter writer)
    {
        writer.WriteLine(AuditChainSql.Functions(schema));
        writer.WriteLine($"DROP TRIGGER IF EXISTS {TriggerName} ON {schema}.mt_events;");
        writer.WriteLine($"CREATE TRIGGER {TriggerName} BEFORE INSERT ON {schema}.mt_events FOR EACH ROW EXECUTE FUNCTION {schema}.gov_audit_chain();");
        writer.WriteLine($"COMMENT ON TRIGGER {TriggerName} ON {schema}.mt_events IS '{Version}';");
        writer.WriteLine(AuditChainSql.Backfill(schema));
    }

    public void WriteDropStatement(Migrator rules, TextWriter writer)
    {
        writer.WriteLine($"""
            DO $$ BEGIN
              IF to_regclass('{schema}.mt_events') IS NOT NULL THEN
                DROP TRIGGER IF EXISTS {TriggerName} ON {schema}.mt_events;
              END IF;
            END $$;
            """);
    }

    public void ConfigureQueryCommand(DbCommandBuilder builder)
    {
        var table = builder.AddParameter($"{schema}.mt_events").ParameterName;
        builder.Append($"select obj_description(t.oid, 'pg_trigger'), t.tgenabled::text from pg_trigger t where t.tgrelid = to_regclass(:{table}) and t.tgname = '{TriggerName}';");
    }

    public async Task<ISchemaObjectDelta> CreateDeltaAsync(DbDataReader reader, CancellationToken ct = default)
    {
        if (!await reader.ReadAsync(ct))
            return new SchemaObjectDelta(this, SchemaPatchDifference.Create);
        var comment = await reader.IsDBNullAsync(0, ct) ? null : reader.GetString(0);
        // 'O': fires in origin and local sessions. Anything else means someone disabled it: put it back.
        var enabled = reader.GetString(1) == "O";
        return new SchemaObjectDelta(this, comment == Version && enabled ? SchemaPatchDifference.None : SchemaPatchDifference.Update);
    }

    public IEnumerable<DbObjectName> AllNames()
    {
        yield return Identifier;
    }
}
