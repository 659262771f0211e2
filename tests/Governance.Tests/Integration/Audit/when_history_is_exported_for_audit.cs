using System.Net;
using System.Text.Json;
using Governance.Api.Audit;
using Governance.AuditVerifier;
using Governance.Projections.Audit;
using Governance.Tests.Audit;
using Governance.Tests.Integration.Roles;
using Marten;
using Npgsql;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;

namespace Governance.Tests.Integration.Audit;

[Collection(GovernanceCollection.Name)]
public sealed class when_history_is_exported_for_audit(GovernanceFixture fx)
{
    private Governance.AuditVerifier.CheckpointKeys Key => fx.AuditPublicKey;

    [Fact]
    public async Task the_whole_history_verifies_after_a_checkpoint_for_an_auditor()
    {
        await fx.IssueKey(Api.Unique("audit-app"), "*");
        var checkpoint = await fx.Checkpoint();
        var auditor = await fx.IssueOperator(Governance.Domain.Operators.OperatorRoles.Auditor);

        var report = fx.Verify(await fx.Export(token: auditor.Token));

        Assert.True(report.Intact, report.Describe());
        Assert.True(report.SignaturesChecked);
        Assert.Equal(checkpoint.GetProperty("sequence").GetInt64(), report.Latest!.Sequence);
        Assert.Equal(checkpoint.GetProperty("digest").GetString(), report.Latest.Digest);
    }

    [Fact]
    public async Task every_kind_of_tampering_with_a_real_export_is_rejected()
    {
        await fx.IssueKey(Api.Unique("audit-app"), "*");
        await fx.Checkpoint();
        var history = AuditHistory.FromExport(await fx.Export(), fx.AuditSigningKey);
        Assert.True(fx.Verify(history.ToExport()).Intact, "the export re-written by the test's own canonical form must still verify");

        var failures = new List<string>();
        foreach (var seed in Enumerable.Range(1, 15))
        {
            foreach (var mutation in AuditMutations.All(history, new Random(seed)))
            {
                var report = fx.Verify(mutation.Export);
                if (report.Intact || !mutation.Expected.Contains(report.FirstBreak!.Kind))
                    failures.Add($"seed {seed}, {mutation.Name}: {report.Describe()}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task an_event_row_edited_in_postgresql_is_caught_on_the_next_export()
    {
        var issued = await fx.IssueKey(Api.Unique("audit-app"), "*");
        var sequence = await Scalar<long>($"select seq_id from {fx.Schema}.mt_events where stream_id = @id and version = 1", issued.Id);
        var original = await Scalar<string>($"select data::text from {fx.Schema}.mt_events where seq_id = {sequence}");
        try
        {
            await Execute($"""update {fx.Schema}.mt_events set data = jsonb_set(data, '{"{App}"}', '"someone-else"') where seq_id = {sequence}""");

            var report = fx.Verify(await fx.Export());

            Assert.Equal(BreakKind.EditedData, report.FirstBreak?.Kind);
            Assert.Contains($"sequence {sequence},", report.FirstBreak!.Detail);
        }
        finally
        {
            await Execute($"update {fx.Schema}.mt_events set data = @original::jsonb where seq_id = {sequence}", original);
        }
        Assert.True(fx.Verify(await fx.Export()).Intact);
    }

    [Fact]
    public async Task an_edit_whose_chain_was_recomputed_in_postgresql_is_caught_by_the_next_checkpoint()
    {
        var issued = await fx.IssueKey(Api.Unique("audit-app"), "*");
        await fx.Checkpoint();
        var sequence = await Scalar<long>($"select seq_id from {fx.Schema}.mt_events where stream_id = @id and version = 1", issued.Id);
        var (data, headers) = (await Scalar<string>($"select data::text from {fx.Schema}.mt_events where seq_id = {sequence}"),
            await Scalar<string>($"select headers::text from {fx.Schema}.mt_events where seq_id = {sequence}"));
        try
        {
            // What someone with write access and the documented algorithm could do: edit, then re-hash the row.
            await Execute($"""
                update {fx.Schema}.mt_events set data = jsonb_set(data, '{"{App}"}', '"someone-else"') where seq_id = {sequence};
                update {fx.Schema}.mt_events e set headers = e.headers || jsonb_build_object('audit_hash', encode({fx.Schema}.gov_audit_hash(
                    decode(e.headers ->> 'audit_prev', 'hex'), e.seq_id, e.stream_id, e.version, e.type, e."timestamp", e.user_name,
                    e.correlation_id, e.causation_id, e.data), 'hex')) where seq_id = {sequence};
                """);

            var report = fx.Verify(await fx.Export());
            using var refused = await fx.Send(HttpMethod.Post, "/api/audit/checkpoints");

            Assert.Equal(BreakKind.EditedData, report.FirstBreak?.Kind);
            Assert.Contains("checkpoint", report.FirstBreak!.Detail);
            // The node will not sign on top of it either: the newest checkpoint's range no longer digests to what it signed.
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Contains("checkpoint_range_altered", await refused.Content.ReadAsStringAsync());
        }
        finally
        {
            await Execute($"update {fx.Schema}.mt_events set data = @original::jsonb, headers = '{headers}'::jsonb where seq_id = {sequence}", data);
        }
        Assert.True(fx.Verify(await fx.Export()).Intact);
    }

    [Theory]
    [InlineData("after=abc", "after")]
    [InlineData("after=-1", "after")]
    [InlineData("after=1.5", "after")]
    [InlineData("after=99999999999999999999", "after")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("after=0&limit=-5", "limit")]
    public async Task a_malformed_after_or_limit_is_a_400_naming_it(string query, string field)
    {
        using var response = await fx.Send(HttpMethod.Get, "/api/audit/events?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task after_and_limit_page_through_the_history_in_order()
    {
        await fx.IssueKey(Api.Unique("audit-app"), "*");
        var all = AuditExports.Lines(await fx.Export()).Select(l => l.GetProperty("sequence").GetInt64()).ToList();
        var after = all[all.Count / 2];

        var page = await fx.Export($"/api/audit/events?after={after}&limit=3");

        Assert.Equal(all.Where(s => s > after).Take(3), AuditExports.Lines(page).Select(l => l.GetProperty("sequence").GetInt64()));
        Assert.True(fx.Verify(page, new VerifierOptions(After: after)).Intact);
        // Three events and no checkpoint: their chain links, but nothing signed vouches for them.
        Assert.Equal(BreakKind.NoCheckpoint, fx.Verify(page, new VerifierOptions(Key, After: after)).FirstBreak?.Kind);
    }

    [Fact]
    public async Task one_stream_exports_in_version_order_and_verifies_on_its_own()
    {
        var issued = await fx.IssueKey(Api.Unique("audit-app"), "*");
        await fx.Api.Post($"/api/keys/{issued.Id}/suspend", new { reason = "audit" }, 200);
        await fx.Api.Post($"/api/keys/{issued.Id}/resume", new { }, 200);
        await fx.Checkpoint();

        var stream = await fx.Export($"/api/audit/streams/{issued.Id}");
        var checkpoints = await fx.Export($"/api/audit/streams/{AuditCheckpointed.StreamId}");

        Assert.Equal(["key_issued", "key_suspended", "key_resumed"], AuditExports.Lines(stream).Select(l => l.GetProperty("type").GetString()));
        Assert.True(fx.Verify(stream, new VerifierOptions(Key, SingleStream: true)).Intact);
        var report = fx.Verify(checkpoints, new VerifierOptions(Key, SingleStream: true));
        Assert.True(report.Intact && report.SignaturesChecked, report.Describe());
        using var unknown = await fx.Send(HttpMethod.Get, "/api/audit/streams/no-such-stream");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task a_periodic_round_skips_while_another_node_writes_and_when_nothing_happened()
    {
        await fx.IssueKey(Api.Unique("audit-app"), "*");
        var count = () => Scalar<long>($"select count(*) from {fx.Schema}.mt_events where stream_id = @id", AuditCheckpointed.StreamId);
        var before = await count();

        await using (var otherNode = new NpgsqlConnection(fx.ConnectionString))
        {
            await otherNode.OpenAsync();
            await using var hold = new NpgsqlCommand($"select pg_advisory_lock({AuditCheckpoints.LockKey})", otherNode);
            await hold.ExecuteNonQueryAsync();
            await Node().RunOnceAsync(CancellationToken.None);
            Assert.Equal(before, await count());
            // A pooled connection keeps session locks after it is closed.
            await using var release = new NpgsqlCommand($"select pg_advisory_unlock({AuditCheckpoints.LockKey})", otherNode);
            await release.ExecuteNonQueryAsync();
        }
        await Node().RunOnceAsync(CancellationToken.None);
        Assert.Equal(before + 1, await count());
        await Node().RunOnceAsync(CancellationToken.None);
        Assert.Equal(before + 1, await count());

        var latest = AuditExports.Lines(await fx.Export($"/api/audit/streams/{AuditCheckpointed.StreamId}")).Last();
        Assert.Equal(AuditCheckpoints.SystemActor, latest.GetProperty("actor").GetString());
        Assert.True(fx.Verify(await fx.Export()).Intact);
    }

    private static readonly CheckpointWitness NoWitness = new(null, null);

    private CheckpointSigner Signer => new(ECDsa.Create(fx.AuditSigningKey.ExportParameters(includePrivateParameters: true)));

    private PeriodicCheckpoints Node() => new(
        new CheckpointRound(new AuditCheckpoints(fx.Store, Signer, NoWitness, fx.Clock), NoWitness,
            fx.Api.Services.GetRequiredService<CheckpointAlarm>(), fx.Api.Services.GetRequiredService<IServiceScopeFactory>()),
        Signer, NoWitness,
        new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build(),
        Microsoft.Extensions.Logging.Abstractions.NullLogger<PeriodicCheckpoints>.Instance);

    private async Task<T> Scalar<T>(string sql, string? id = null)
    {
        await using var connection = new NpgsqlConnection(fx.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        if (id is not null)
            command.Parameters.AddWithValue("id", id);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull or null ? default! : (T)value;
    }

    private async Task Execute(string sql, string? original = null)
    {
        await using var connection = new NpgsqlConnection(fx.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        if (original is not null)
            command.Parameters.AddWithValue("original", original);
        await command.ExecuteNonQueryAsync();
    }
}
