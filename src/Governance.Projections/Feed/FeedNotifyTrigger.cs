using Governance.Projections.Hosting;
using Marten;
using Weasel.Core;
using Weasel.Core.Migrations;

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

internal sealed class FeedNotifyTrigger(string schema, IReadOnlyList<string> eventTypes) : EventsTableTrigger(schema, TriggerName)
{
    public const string TriggerName = "gov_feed_notify";

    // A new feed event type changes this SQL, so the next migration re-creates the trigger.
    protected override string CreateSql => $$"""
        CREATE OR REPLACE FUNCTION {{Schema}}.{{TriggerName}}() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify('{{FeedEvents.Channel(Schema)}}', '');
          RETURN NULL;
        END
        $$;
        DROP TRIGGER IF EXISTS {{TriggerName}} ON {{Schema}}.mt_events;
        CREATE TRIGGER {{TriggerName}} AFTER INSERT ON {{Schema}}.mt_events FOR EACH ROW
          WHEN (NEW.type IN ({{string.Join(", ", eventTypes.Select(t => $"'{t}'"))}}))
          EXECUTE FUNCTION {{Schema}}.{{TriggerName}}();
        """;
}

public static class FeedStore
{
    public static StoreOptions ConfigureFeed(this StoreOptions opts)
    {
        opts.Storage.Add(new FeedNotifyFeature(opts));
        return opts;
    }
}
