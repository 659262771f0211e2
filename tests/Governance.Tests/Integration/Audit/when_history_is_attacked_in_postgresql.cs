using System.Security.Cryptography;
using System.Text.Json;
using Governance.AuditVerifier;
using Governance.Projections.Audit;
using Governance.Tests.Integration.Observability;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Governance.Tests.Integration.Audit;

/// <summary>
/// Someone with write access to PostgreSQL (and, for the forgeries, an auditor's keys) tries to rewrite the history and
/// have it vouched for again. Each attack gets a database of its own (<see cref="AuditNode"/>): they leave it broken.
/// </summary>
public sealed class when_history_is_attacked_in_postgresql
{
    private const string Checkpoints = AuditCheckpointed.StreamId;

    [Fact]
    public async Task stripped_hashes_of_edited_rows_are_never_re_chained_and_nothing_signs_over_them()
    {
        await using var node = await AuditNode.StartAsync();
        var keyId = await node.IssueKey();
        Assert.Equal(201, (await node.Checkpoint()).Status);
        var sequence = await node.Scalar<long>($"select seq_id from {{schema}}.mt_events where stream_id = '{keyId}' and version = 1");

        // Edit a row, strip its hashes, delete the checkpoints and drop the trigger, so that the next start's migration
        // puts the trigger back and runs the backfill.
        await node.Sql($$"""
            update {schema}.mt_events set data = jsonb_set(data, '{App}', '"someone-else"'), headers = headers - 'audit_hash' - 'audit_prev'
             where seq_id = {{sequence}};
            delete from {schema}.mt_events where stream_id = '{{Checkpoints}}';
            delete from {schema}.mt_streams where id = '{{Checkpoints}}';
            drop trigger gov_audit_chain on {schema}.mt_events;
            """);
        // A node that knows nothing of the past (no witness): only the database speaks.
        await node.RestartAsync(witness: false);

        Assert.Equal("O", await node.Scalar<string>("select tgenabled::text from pg_trigger where tgname = 'gov_audit_chain' and tgrelid = '{schema}.mt_events'::regclass"));
        Assert.Null(await node.Scalar<string?>($"select headers ->> 'audit_hash' from {{schema}}.mt_events where seq_id = {sequence}"));
        var refused = await node.Checkpoint();
        Assert.Equal((409, "audit_chain_incomplete"), (refused.Status, refused.Code));
        var report = node.Verify(await node.Export());
        Assert.False(report.Intact);
        Assert.Contains("never chained", report.FirstBreak!.Detail);
    }

    [Fact]
    public async Task a_deleted_checkpoint_stream_stops_checkpointing_instead_of_starting_over()
    {
        await using var node = await AuditNode.StartAsync();
        await node.IssueKey();
        Assert.Equal(201, (await node.Checkpoint()).Status);

        await node.Sql($"delete from {{schema}}.mt_events where stream_id = '{Checkpoints}'; delete from {{schema}}.mt_streams where id = '{Checkpoints}';");

        var running = await node.Checkpoint();
        await node.RestartAsync(witness: true);
        var restarted = await node.Checkpoint();

        Assert.Equal((409, "checkpoint_stream_missing"), (running.Status, running.Code));
        Assert.Equal((409, "checkpoint_stream_missing"), (restarted.Status, restarted.Code));
        Assert.Equal(0L, await node.Scalar<long>($"select count(*) from {{schema}}.mt_events where stream_id = '{Checkpoints}'"));
    }

    public static TheoryData<string> Forgers() => new() { "own-ecdsa-key", "old-shared-hmac-key" };

    [Theory]
    [MemberData(nameof(Forgers))]
    public async Task a_checkpoint_forged_in_postgresql_is_never_extended(string forger)
    {
        // An upgraded deployment: its nodes keep the old HMAC key to check the last legacy checkpoint, and auditors had it.
        var legacyKey = RandomNumberGenerator.GetBytes(32);
        await using var node = await AuditNode.StartAsync(legacyKey);
        await node.IssueKey();
        var real = (await node.Checkpoint()).Body;
        await node.IssueKey();

        var store = node.Api.Services.GetRequiredService<IDocumentStore>();
        var sequence = await node.Scalar<long>("select max(seq_id) from {schema}.mt_events");
        var (previousSequence, previousDigest) = (real.GetProperty("sequence").GetInt64(), real.GetProperty("digest").GetString()!);
        var digest = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        AuditCheckpointed forged;
        if (forger == "own-ecdsa-key")
        {
            using var own = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var signature = Convert.ToHexStringLower(own.SignData(CheckpointSigner.SignedBytes(sequence, previousSequence, 1, digest, previousDigest, 0),
                HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
            forged = new AuditCheckpointed(sequence, previousSequence, 1, digest, previousDigest, real.GetProperty("keyId").GetString()!, signature,
                AuditCheckpoints.SystemActor, DateTimeOffset.UtcNow, CheckpointSigner.Algorithm, 0);
        }
        else
        {
            var legacy = JsonDocument.Parse(Governance.Tests.Audit.AuditHistory.LegacyCheckpointData(sequence, previousSequence, 1, digest, previousDigest, legacyKey)).RootElement;
            forged = new AuditCheckpointed(sequence, previousSequence, 1, digest, previousDigest, legacy.GetProperty("KeyId").GetString()!,
                legacy.GetProperty("Signature").GetString()!, AuditCheckpoints.SystemActor, DateTimeOffset.UtcNow);
        }
        await using (var session = store.LightweightSession())
        {
            session.Events.Append(Checkpoints, forged);
            await session.SaveChangesAsync();
        }

        var refused = await node.Checkpoint();

        Assert.Equal((409, "checkpoint_signature_invalid"), (refused.Status, refused.Code));
        Assert.False(node.Verify(await node.Export()).Intact);
    }

    [Fact]
    public async Task truncation_after_the_last_checkpoint_is_caught_with_the_witness()
    {
        await using var node = await AuditNode.StartAsync();
        await node.IssueKey();
        Assert.Equal(201, (await node.Checkpoint()).Status);
        var cutAfter = await node.Scalar<long>($"select seq_id from {{schema}}.mt_events where stream_id = '{Checkpoints}' and version = 1");
        await node.IssueKey();
        Assert.Equal(201, (await node.Checkpoint()).Status);

        // Everything after the first checkpoint removed, the second checkpoint with it: a shorter history, consistent in itself.
        await node.Sql($$"""
            delete from {schema}.mt_events where seq_id > {{cutAfter}};
            delete from {schema}.mt_streams s where not exists (select 1 from {schema}.mt_events e where e.stream_id = s.id);
            update {schema}.mt_streams set version = 1 where id = '{{Checkpoints}}';
            """);
        var export = await node.Export();
        var witnessed = Witness.Newest(node.WitnessDirectory);

        Assert.True(node.Verify(export).Intact, "without the witness the cut does not show");
        var report = node.Verify(export, witnessed);
        Assert.Equal(BreakKind.TruncatedStream, report.FirstBreak?.Kind);
        Assert.Contains("shorter than witnessed", report.FirstBreak!.Detail);
        var refused = await node.Checkpoint();
        Assert.Equal((409, "checkpoint_behind_witness"), (refused.Status, refused.Code));
        await node.RestartAsync(witness: true);
        Assert.Equal("checkpoint_behind_witness", (await node.Checkpoint()).Code);
    }

    [Fact]
    public async Task a_database_that_predates_the_chain_is_chained_once_and_the_checkpoint_signs_where_the_chain_starts()
    {
        await using var node = await AuditNode.StartAsync();
        await node.IssueKey();
        await node.IssueKey();
        // As a database written before the chain existed looks.
        await node.Sql("""
            drop trigger gov_audit_chain on {schema}.mt_events;
            drop table {schema}.gov_audit_chain_start;
            update {schema}.mt_events set headers = headers - 'audit_hash' - 'audit_prev';
            """);
        var last = await node.Scalar<long>("select max(seq_id) from {schema}.mt_events");

        await node.RestartAsync();

        Assert.Equal(0L, await node.Scalar<long>("select count(*) from {schema}.mt_events where headers ->> 'audit_hash' is null"));
        Assert.Equal(last, await node.Scalar<long>("select sequence from {schema}.gov_audit_chain_start"));
        var checkpoint = await node.Checkpoint();
        Assert.Equal(201, checkpoint.Status);
        Assert.Equal(last, checkpoint.Body.GetProperty("chainStart").GetInt64());
        var report = node.Verify(await node.Export());
        Assert.True(report.Intact, report.Describe());
        Assert.Contains($"Events up to sequence {last} predate the hash chain", report.Describe());
    }

    [Fact]
    public async Task a_refusal_raises_the_alarm_on_the_webhook_the_metric_and_the_log()
    {
        await using var receiver = new WebhookReceiver();
        await receiver.StartAsync();
        await using var node = await AuditNode.StartAsync();
        using (var configured = await node.Send(HttpMethod.Put, "/api/webhooks/global", new { url = receiver.Url, secret = "audit-alarm-secret-0123" }))
            Assert.True(configured.IsSuccessStatusCode);
        await node.IssueKey();
        Assert.Equal(201, (await node.Checkpoint()).Status);
        await node.Sql($"delete from {{schema}}.mt_events where stream_id = '{Checkpoints}'; delete from {{schema}}.mt_streams where id = '{Checkpoints}';");

        Assert.Equal(409, (await node.Checkpoint()).Status);

        var alerts = await receiver.WaitForAsync(
            b => b.GetProperty("type").GetString() == "audit.checkpoint_refused" && b.GetProperty("code").GetString() == "checkpoint_stream_missing",
            1, TimeSpan.FromSeconds(30));
        Assert.Single(alerts);
        using var client = node.Api.Server.CreateClient();
        var metrics = Scrape.Parse(await client.MetricsText());
        Assert.Equal(1, metrics.Value("gov_audit_checkpoint_halted"));
        Assert.True(metrics.Value("gov_audit_checkpoint_refusals_total", ("code", "checkpoint_stream_missing")) >= 1);
        Assert.Contains(node.Logs.Lines, l => l.StartsWith("Error") && l.Contains("Audit checkpointing refused (checkpoint_stream_missing)"));
    }

    [Fact]
    public async Task each_checkpoint_is_written_to_the_witness_directory_and_posted_to_the_witness_url()
    {
        await using var receiver = new WebhookReceiver();
        await receiver.StartAsync();
        await using var node = await AuditNode.StartAsync(configure: web => web.UseSetting("Audit:WitnessUrl", receiver.Url));
        await node.IssueKey();

        var written = (await node.Checkpoint()).Body;

        var sequence = written.GetProperty("sequence").GetInt64();
        var posted = await receiver.WaitForAsync(b => b.TryGetProperty("Sequence", out var s) && s.GetInt64() == sequence, 1, TimeSpan.FromSeconds(30));
        Assert.Equal(written.GetProperty("signature").GetString(), Assert.Single(posted).GetProperty("Signature").GetString());
        var filed = Witness.Newest(node.WitnessDirectory);
        Assert.Equal((sequence, written.GetProperty("digest").GetString()), (filed.Sequence, filed.Digest));
        Assert.Null(node.PublicKey.Check(filed));
    }
}
