using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Weasel.Core;
using Weasel.Core.Migrations;
using Weasel.Postgresql;
using DbCommandBuilder = Weasel.Core.DbCommandBuilder;

namespace Governance.Projections.Hosting;

/// <summary>
/// A trigger of ours on Marten's <c>mt_events</c>, managed as a Weasel schema object. The SQL's hash is kept in the
/// trigger's comment: a migration re-creates the trigger when the SQL changed, when it is missing, or when someone
/// disabled it.
/// </summary>
internal abstract class EventsTableTrigger(string schema, string triggerName) : ISchemaObject
{
    protected string Schema { get; } = schema;

    public DbObjectName Identifier { get; } = new PostgresqlObjectName(schema, triggerName, SchemaUtils.IdentifierUsage.General);

    /// <summary>Everything that (re-)creates the trigger and what it needs; run as one script, so it must be re-runnable.</summary>
    protected abstract string CreateSql { get; }

    private string Version => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(CreateSql)))[..16];

    public void WriteCreateStatement(Migrator migrator, TextWriter writer)
    {
        writer.WriteLine(CreateSql);
        writer.WriteLine($"COMMENT ON TRIGGER {triggerName} ON {Schema}.mt_events IS '{Version}';");
    }

    public void WriteDropStatement(Migrator rules, TextWriter writer)
    {
        writer.WriteLine($"""
            DO $$ BEGIN
              IF to_regclass('{Schema}.mt_events') IS NOT NULL THEN
                DROP TRIGGER IF EXISTS {triggerName} ON {Schema}.mt_events;
              END IF;
            END $$;
            """);
    }

    public void ConfigureQueryCommand(DbCommandBuilder builder)
    {
        var table = builder.AddParameter($"{Schema}.mt_events").ParameterName;
        builder.Append($"select obj_description(t.oid, 'pg_trigger'), t.tgenabled::text from pg_trigger t where t.tgrelid = to_regclass(:{table}) and t.tgname = '{triggerName}';");
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
