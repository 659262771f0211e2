using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Marten;
using Weasel.Core;
using Weasel.Core.Migrations;
using Weasel.Postgresql;
using DbCommandBuilder = Weasel.Core.DbCommandBuilder;

namespace Governance.Projections.Feed;

/// <summary>
/// Wakes the change feed's listeners: an AFTER INSERT trigger on <c>mt_events</c>, only for the event types the feed
/// carries, sends a NOTIFY on the schema's channel. PostgreSQL delivers it at commit and folds a transaction's repeats
/// into one, so a listener is woken once per committing transaction that changed something adapters care about, and the
/// events are visible by the time it reads them. Registered as a Marten storage feature, so it is created and migrated
/// wherever Marten manages the schema.
/// </summary>
internal sealed class FeedNotifyFeature(StoreOptions options) : FeatureSchemaBase("FeedNotify", options.Advanced.Migrator)
{
    protected override IEnumerable<ISchemaObject> schemaObjects()
    {
        yield return new FeedNotifyTrigger(options.Events.DatabaseSchemaName, FeedEvents.NamesIn(options));
    }
}

internal sealed class FeedNotifyTrigger(string schema, IReadOnlyList<string> eventTypes) : ISchemaObject
{
    public const string TriggerName = "gov_feed_notify";

    public DbObjectName Identifier { get; } = new PostgresqlObjectName(schema, TriggerName, SchemaUtils.IdentifierUsage.General);

    private string Sql => $$"""
        CREATE OR REPLACE FUNCTION {{schema}}.{{TriggerName}}() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify('{{FeedEvents.Channel(schema)}}', '');
          RETURN NULL;
        END
        $$;
        DROP TRIGGER IF EXISTS {{TriggerName}} ON {{schema}}.mt_events;
        CREATE TRIGGER {{TriggerName}} AFTER INSERT ON {{schema}}.mt_events FOR EACH ROW
          WHEN (NEW.type IN ({{string.Join(", ", eventTypes.Select(t => $"'{t}'"))}}))
          EXECUTE FUNCTION {{schema}}.{{TriggerName}}();
        """;

    /// <summary>Kept in the trigger's comment: a change to the SQL (a new feed event type) re-creates it on the next migration.</summary>
    private string Version => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)))[..16];

    public void WriteCreateStatement(Migrator migrator, TextWriter writer)
    {
        writer.WriteLine(Sql);
        writer.WriteLine($"COMMENT ON TRIGGER {TriggerName} ON {schema}.mt_events IS '{Version}';");
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

public static class FeedStore
{
    public static StoreOptions ConfigureFeed(this StoreOptions opts)
    {
        opts.Storage.Add(new FeedNotifyFeature(opts));
        return opts;
    }
}
