using System.Net;
using System.Text.Json;
using Governance.AuditVerifier;
using Governance.Domain.Usage;
using Marten;
using Marten.Events;
using Microsoft.AspNetCore.Hosting;

namespace Governance.Tests.Integration.Audit;

/// <summary>
/// Request events older than the horizon leave PostgreSQL into Parquet segments (Archive__Directory), recorded by an
/// event; the verifier checks the segments and the live export as one history, and tells an archive from a truncation.
/// Each test has a database of its own (<see cref="AuditNode"/>): they delete files and rows.
/// </summary>
public sealed class when_request_history_is_archived
{
    private const int Requests = 7;

    [Fact]
    public async Task archived_history_verifies_as_one_and_an_archived_request_names_its_segment_until_restored()
    {
        await using var archive = await ArchivedNode.StartAsync();
        var (node, ids) = (archive.Node, archive.RequestIds);

        var run = await archive.Run();
        var segment = run.GetProperty("segments")[0].GetProperty("segment").GetString()!;
        Assert.Equal(Requests, run.GetProperty("segments")[0].GetProperty("events").GetInt64());
        Assert.Equal(0L, await node.Scalar<long>("select count(*) from {schema}.mt_events where type = 'request_completed'"));
        Assert.Equal((long)Requests, await node.Scalar<long>("select count(*) from {schema}.request_log"));
        // A replay would drop the archived requests from the request log (budget sums) and the dashboards: refused.
        using (var rebuild = await node.Send(HttpMethod.Post, "/api/admin/projections/rebuild"))
        {
            Assert.Equal(HttpStatusCode.Conflict, rebuild.StatusCode);
            Assert.Contains("history_archived", await rebuild.Content.ReadAsStringAsync());
        }
        // Checkpointing goes on over a history with archived ranges.
        Assert.Equal(201, (await node.Checkpoint()).Status);

        var export = await node.Export();
        var report = archive.Verify(export);
        Assert.True(report.Intact, report.Describe());
        Assert.Equal(Requests, report.FromSegments);
        // Without the segments, the same export is a truncated history.
        Assert.Equal(BreakKind.TruncatedStream, node.Verify(export).FirstBreak?.Kind);

        using (var archived = await node.Send(HttpMethod.Get, $"/api/requests/{ids[0]}/explanation"))
        {
            var problem = JsonDocument.Parse(await archived.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(HttpStatusCode.Conflict, archived.StatusCode);
            Assert.Equal("request_archived", problem.GetProperty("code").GetString());
            Assert.Contains(segment, problem.GetProperty("detail").GetString());
        }

        using (var restore = await node.Send(HttpMethod.Post, $"/api/archive/segments/{segment}/restore"))
            Assert.True(restore.IsSuccessStatusCode, await restore.Content.ReadAsStringAsync());
        using (var explained = await node.Send(HttpMethod.Get, $"/api/requests/{ids[0]}/explanation"))
            Assert.Equal(HttpStatusCode.OK, explained.StatusCode);
        Assert.Equal((long)Requests, await node.Scalar<long>("select count(*) from {schema}.mt_events where type = 'request_completed'"));
        // Restored events are in the export again, with their original sequences and hashes; the archiver leaves them be.
        Assert.Equal(0, (await archive.Run()).GetProperty("segments").GetArrayLength());
        Assert.Equal(201, (await node.Checkpoint()).Status);
        var restored = archive.Verify(await node.Export());
        Assert.True(restored.Intact, restored.Describe());
        Assert.Equal(0, restored.FromSegments);
        Assert.Contains("\"type\":\"archive_segment_restored\"", await node.Export());
    }

    [Fact]
    public async Task a_missing_or_altered_segment_is_named_and_a_deleted_one_keeps_the_chain()
    {
        await using var archive = await ArchivedNode.StartAsync();
        var node = archive.Node;
        var segment = (await archive.Run()).GetProperty("segments")[0].GetProperty("segment").GetString()!;
        var path = Path.Combine(archive.Directory, segment);
        var export = await node.Export();
        var original = await File.ReadAllBytesAsync(path);

        File.Move(path, path + ".gone");
        var missing = archive.Verify(export);
        Assert.Equal(BreakKind.MissingSegment, missing.FirstBreak?.Kind);
        Assert.Contains(segment, missing.FirstBreak!.Detail);
        File.Move(path + ".gone", path);

        // One row's cost edited, the file rewritten: its digest no longer is the recorded one, and its row no longer hashes.
        var rows = new List<SegmentRow>();
        await using (var file = File.OpenRead(path))
            await foreach (var row in ArchiveSegment.ReadAsync(file))
                rows.Add(rows.Count == 3 ? row with { Data = row.Data!.Replace("\"Cost\": 0.25", "\"Cost\": 0.01", StringComparison.Ordinal) } : row);
        Assert.Contains("\"Cost\": 0.01", rows[3].Data);
        await using (var file = File.Create(path))
            await ArchiveSegment.WriteAsync(file, rows);
        Assert.Equal(BreakKind.EditedData, archive.Verify(export).FirstBreak?.Kind);
        var rowBroken = ExportVerifier.Verify(new StringReader(export), new VerifierOptions(node.PublicKey), Archive.Rows(Archive.Records(new StringReader(export)), archive.Directory));
        Assert.Equal(BreakKind.EditedData, rowBroken.FirstBreak?.Kind);
        Assert.Contains(segment, rowBroken.FirstBreak!.Detail);
        await File.WriteAllBytesAsync(path, original);

        // A delete without a usable reason is refused naming it and deletes nothing. (The write-endpoint sweep cannot reach this
        // endpoint: its shared fixture has no archive.)
        foreach (var bad in new object[] { new { }, new { reason = "" }, new { reason = 5 }, new { reason = new string('x', 1001) } })
            using (var refused = await node.Send(HttpMethod.Post, $"/api/archive/segments/{segment}/delete", bad))
            {
                Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
                Assert.Contains("reason", await refused.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
            }
        Assert.True(File.Exists(path));

        // An operator deletes it, with a reason: the content is gone, an event says so, and the history still verifies.
        using (var deleted = await node.Send(HttpMethod.Post, $"/api/archive/segments/{segment}/delete", new { reason = "retention: 1 year" }))
            Assert.True(deleted.IsSuccessStatusCode, await deleted.Content.ReadAsStringAsync());
        Assert.False(File.Exists(path));
        Assert.Equal(201, (await node.Checkpoint()).Status);
        var after = await node.Export();
        Assert.Contains("\"type\":\"archive_segment_deleted\"", after);
        var report = archive.Verify(after);
        Assert.True(report.Intact, report.Describe());
        Assert.Equal(Requests, report.Redacted);
        // Each archive event names who asked (the admin's operator id) and on behalf of which request.
        var admin = Governance.Domain.Operators.OperatorToken.IdFor(GovernanceFixture.AdminToken);
        var recorded = AuditExports.Lines(after).Where(l => l.GetProperty("stream").GetString() == "audit:archive").ToList();
        Assert.Equal(["request_events_archived", "archive_segment_deleted"], recorded.Select(l => l.GetProperty("type").GetString()));
        Assert.All(recorded, l =>
        {
            Assert.Equal(admin, l.GetProperty("actor").GetString());
            Assert.False(string.IsNullOrEmpty(l.GetProperty("correlationId").GetString()));
        });
    }

    [Fact]
    public async Task request_events_removed_without_an_archive_event_are_a_truncation()
    {
        await using var archive = await ArchivedNode.StartAsync();
        var node = archive.Node;
        await node.Sql("delete from {schema}.mt_events where type = 'request_completed'; delete from {schema}.mt_streams where id like 'req_archived%'");

        var report = archive.Verify(await node.Export());
        Assert.False(report.Intact);
        Assert.Equal(BreakKind.TruncatedStream, report.FirstBreak?.Kind);
    }

    /// <summary>A node with an archive directory and a one-day horizon, <see cref="Requests"/> request events, two checkpoints and a clock days later.</summary>
    private sealed class ArchivedNode : IAsyncDisposable
    {
        public required AuditNode Node { get; init; }
        public required string Directory { get; init; }
        public required string[] RequestIds { get; init; }

        public static async Task<ArchivedNode> StartAsync()
        {
            var directory = System.IO.Directory.CreateTempSubdirectory("archive-").FullName;
            var node = await AuditNode.StartAsync(configure: web =>
            {
                web.UseSetting("Archive:Directory", directory);
                web.UseSetting("Archive:Horizon", "1.00:00:00");
                web.UseSetting("Archive:IntervalSeconds", "0");
                web.UseSetting("Archive:SegmentEvents", "1000");
            });
            var store = node.Api.Services.GetRequiredService<IDocumentStore>();
            var ids = Enumerable.Range(0, Requests).Select(i => Integration.Api.Unique("req_archived")).ToArray();
            await using (var session = store.LightweightSession())
            {
                var at = node.Clock.GetUtcNow();
                foreach (var id in ids)
                {
                    session.Events.StartStream<RequestRecord>(id, new RequestCompleted(id, "key_archived", "archived-app", null, "gpt-4o-mini", "openai",
                        100, 0, 50, 0, 0.25m, 1, 120, 200, null, "test-adapter", at, at));
                }
                await session.SaveChangesAsync();
            }
            // The first checkpoint covers them; the second, over a later event, puts them out of the range the writer re-checks.
            Assert.Equal(201, (await node.Checkpoint()).Status);
            await node.IssueKey();
            Assert.Equal(201, (await node.Checkpoint()).Status);
            await store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(60));
            var later = DateTimeOffset.UtcNow.AddDays(3);
            if (later > node.Clock.GetUtcNow())
                node.Clock.SetUtcNow(later);
            return new ArchivedNode { Node = node, Directory = directory, RequestIds = ids };
        }

        public async Task<JsonElement> Run()
        {
            using var response = await Node.Send(HttpMethod.Post, "/api/archive/runs");
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, body);
            return JsonDocument.Parse(body).RootElement.Clone();
        }

        /// <summary>What an auditor runs: the verifier with the export, the public key and the archive directory.</summary>
        public VerificationReport Verify(string export)
        {
            var segments = Archive.Records(new StringReader(export));
            var options = new VerifierOptions(Node.PublicKey);
            if (Archive.CheckFiles(segments, Directory) is { } bad)
                return new VerificationReport(bad, 0, 0, 0, 0, 0, null, 0, false, null);
            return ExportVerifier.Verify(new StringReader(export), options, Archive.Rows(segments, Directory));
        }

        public async ValueTask DisposeAsync()
        {
            await Node.DisposeAsync();
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
