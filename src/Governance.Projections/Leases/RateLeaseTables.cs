using Marten;
using Weasel.Core;
using Weasel.Core.Migrations;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Governance.Projections.Leases;

/// <summary>
/// Where the fleet's shares of each key's rate limits are counted (docs/gateway.md, "Rate limits"): what each adapter was
/// granted per key and 5 s slot, and the parallel slots each adapter holds per key until they expire. Coordination
/// state, not history: rows older than a minute are deleted as keys are asked about, and nothing is rebuilt from them.
/// A Marten storage feature, so it is created and migrated wherever Marten manages the schema.
/// </summary>
internal sealed class RateLeaseTables(StoreOptions options) : FeatureSchemaBase("RateLeases", options.Advanced.Migrator)
{
    public const string Grants = "gov_rate_grants";
    public const string Parallel = "gov_rate_parallel";

    protected override IEnumerable<ISchemaObject> schemaObjects()
    {
        var schema = options.DatabaseSchemaName;
        var grants = new Table(new PostgresqlObjectName(schema, Grants, SchemaUtils.IdentifierUsage.General));
        grants.AddColumn<string>("key_id").AsPrimaryKey();
        grants.AddColumn<long>("slot").AsPrimaryKey();
        grants.AddColumn<string>("adapter_id").AsPrimaryKey();
        grants.AddColumn<long>("requests").NotNull();
        grants.AddColumn<long>("tokens").NotNull();
        yield return grants;

        var parallel = new Table(new PostgresqlObjectName(schema, Parallel, SchemaUtils.IdentifierUsage.General));
        parallel.AddColumn<string>("key_id").AsPrimaryKey();
        parallel.AddColumn<string>("adapter_id").AsPrimaryKey();
        parallel.AddColumn<int>("slots").NotNull();
        parallel.AddColumn("expires_at", "timestamp with time zone").NotNull();
        yield return parallel;
    }
}
