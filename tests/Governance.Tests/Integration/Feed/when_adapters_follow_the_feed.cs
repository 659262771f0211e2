using System.Diagnostics;
using System.Text.Json;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Governance.Projections.Feed;
using Governance.Tests.Integration.Leases;
using Marten;
using Xunit.Abstractions;

namespace Governance.Tests.Integration.Feed;

[Collection(GovernanceCollection.Name)]
public sealed class when_adapters_follow_the_feed(GovernanceFixture fx, ITestOutputHelper output)
{
    private FeedHub Hub => fx.Api.Services.GetRequiredService<FeedHub>();

    private async Task<string> AdapterToken() =>
        (await fx.Api.Post("/api/operators", new { name = Api.Unique("edge"), roles = new[] { OperatorRoles.Adapter } }, 201).Json())
            .GetProperty("token").GetString()!;

    private async Task<JsonElement> Page(long after, string token, int status = 200, string extra = "")
    {
        var client = fx.Api.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var response = await client.GetAsync($"/api/feed?after={after}&wait=false{extra}");
        Assert.Equal(status, (int)response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<JsonElement> Snapshot(string token)
    {
        var client = fx.Api.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return await client.GetFromJsonAsync<JsonElement>("/api/feed/snapshot");
    }

    /// <summary>Every change from <paramref name="after"/> until the cursor has passed <paramref name="seq"/>, page by page.</summary>
    private async Task<(List<JsonElement> Changes, long Cursor)> ReadUntil(long after, long seq, string token)
    {
        await Hub.WaitForMarkAsync(seq, TimeSpan.FromSeconds(10));
        var changes = new List<JsonElement>();
        var cursor = after;
        for (var pages = 0; pages < 1000; pages++)
        {
            var page = await Page(cursor, token);
            changes.AddRange(page.GetProperty("changes").EnumerateArray());
            cursor = page.GetProperty("cursor").GetInt64();
            if (!page.GetProperty("more").GetBoolean() && cursor >= seq)
                return (changes, cursor);
        }
        throw new TimeoutException($"The feed's cursor never reached {seq} (at {cursor}).");
    }

    /// <summary>The highest committed sequence number now.</summary>
    private async Task<long> MaxSeq()
    {
        await using var connection = fx.Store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"select max(seq_id) from {fx.Schema}.mt_events";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task a_revocation_reaches_a_connected_adapter_with_its_sequence_and_the_keys_new_state()
    {
        var token = await AdapterToken();
        var key = await fx.IssueKey(Api.Unique("app"), "gpt-4o-mini");
        await using var feed = await FeedClient.ConnectAsync(fx, token, (await Snapshot(token)).GetProperty("cursor").GetInt64());

        var sent = Stopwatch.GetTimestamp();
        await fx.Api.Post($"/api/keys/{key.Id}/revoke", new { reason = "leaked" }, 200);
        var revoked = await feed.ChangeAsync("key_revoked", key.Id);

        output.WriteLine($"revocation delivered {Stopwatch.GetElapsedTime(sent, revoked.ReceivedAt).TotalMilliseconds:F1} ms after the revoke request was sent");
        Assert.Equal("revoked", revoked.Data.GetProperty("key").GetProperty("status").GetString());
        Assert.True(revoked.Data.GetProperty("seq").GetInt64() > 0);
        Assert.True(long.Parse(revoked.Id!) <= revoked.Data.GetProperty("seq").GetInt64(), "the resume cursor never runs ahead of what was delivered");
        // Adapters verify secrets themselves: they get the hash, never the key.
        Assert.Equal(64, revoked.Data.GetProperty("key").GetProperty("secretHash").GetString()!.Length);
        Assert.DoesNotContain(key.Key, revoked.Data.ToString());
    }

    /// <summary>Revocation delivery delay over many revocations, printed (p50/p99), not asserted; every one must arrive, in order.</summary>
    [Fact]
    public async Task revocation_delivery_delay_is_measured()
    {
        var token = await AdapterToken();
        var keys = new List<Api.Issued>();
        for (var i = 0; i < 200; i++)
            keys.Add(await fx.IssueKey(Api.Unique("app"), "gpt-4o-mini"));
        await using var feed = await FeedClient.ConnectAsync(fx, token, (await Snapshot(token)).GetProperty("cursor").GetInt64());

        var total = new List<double>();
        var afterCommit = new List<double>();
        var seqs = new List<long>();
        foreach (var key in keys)
        {
            var sent = Stopwatch.GetTimestamp();
            await fx.Api.Post($"/api/keys/{key.Id}/revoke", new { reason = "rotation drill" }, 200);
            var committed = Stopwatch.GetTimestamp();
            var revoked = await feed.ChangeAsync("key_revoked", key.Id);
            total.Add(Stopwatch.GetElapsedTime(sent, revoked.ReceivedAt).TotalMilliseconds);
            // Negative when the event arrived before the revoke's HTTP answer: the feed raced the response.
            afterCommit.Add(Stopwatch.GetElapsedTime(committed, revoked.ReceivedAt).TotalMilliseconds);
            seqs.Add(revoked.Data.GetProperty("seq").GetInt64());
        }

        static string Percentiles(List<double> values)
        {
            values.Sort();
            return $"p50 {values[values.Count / 2]:F1} ms, p99 {values[(int)(values.Count * 0.99)]:F1} ms, max {values[^1]:F1} ms";
        }
        output.WriteLine($"revocations: {keys.Count}; request sent → SSE event received: {Percentiles(total)}; " +
            $"revoke answered (committed) → SSE event received: {Percentiles(afterCommit)}");
        Assert.Equal(seqs.Order(), seqs);
    }

    [Fact]
    public async Task resuming_from_a_cursor_loses_nothing_across_a_transaction_that_commits_late()
    {
        var token = await AdapterToken();
        var late = await fx.IssueKey(Api.Unique("app"), "gpt-4o-mini");
        var early = await fx.IssueKey(Api.Unique("app"), "gpt-4o-mini");
        var start = (await Snapshot(token)).GetProperty("cursor").GetInt64();

        // A transaction takes its sequence number and stays open...
        await using var connection = fx.Store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var session = fx.Store.LightweightSession(Marten.Services.SessionOptions.ForTransaction(transaction)))
        {
            session.Events.Append(late.Id, new KeySuspended(late.Id, "held open", "test", fx.Clock.GetUtcNow()));
            await session.SaveChangesAsync();
        }
        long lateSeq;
        await using (var peek = connection.CreateCommand())
        {
            peek.CommandText = $"select max(seq_id) from {fx.Schema}.mt_events where stream_id = @id";
            peek.Parameters.AddWithValue("id", late.Id);
            lateSeq = (long)(await peek.ExecuteScalarAsync())!;
        }
        // ...while a later one commits with a higher number.
        await fx.Api.Post($"/api/keys/{early.Id}/revoke", new { reason = "leaked" }, 200);

        // The later change is delivered at once; the stable mark must not pass the open transaction's number, however
        // long we give it (four times the hub's poll interval here).
        var delivered = await ChangeAppears(start, token, early.Id, "key_revoked");
        Assert.True(delivered.Seq > lateSeq);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Hub.WaitForMarkAsync(delivered.Seq, TimeSpan.FromSeconds(1)));
        var before = await ChangeAppears(start, token, early.Id, "key_revoked");
        Assert.True(before.Cursor < lateSeq, $"cursor {before.Cursor} passed the open transaction's sequence {lateSeq}");

        await transaction.CommitAsync();
        var resumed = await ChangeAppears(before.Cursor, token, late.Id, "key_suspended");
        Assert.Equal(lateSeq, resumed.Seq);
        Assert.Equal("suspended", resumed.Change.GetProperty("key").GetProperty("status").GetString());
        // And the mark moves on once nothing older is open.
        Assert.True((await Hub.WaitForMarkAsync(before.Seq, TimeSpan.FromSeconds(10))).Mark >= before.Seq);
    }

    /// <summary>Pages the feed from <paramref name="after"/> until the change shows up (the node's hub reads it right after commit).</summary>
    private async Task<(JsonElement Change, long Seq, long Cursor)> ChangeAppears(long after, string token, string stream, string type)
    {
        var view = await Hub.ReadyAsync(CancellationToken.None);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            var page = await Page(after, token, extra: "&limit=1000");
            foreach (var change in page.GetProperty("changes").EnumerateArray())
                if (change.GetProperty("stream").GetString() == stream && change.GetProperty("type").GetString() == type)
                    return (change, change.GetProperty("seq").GetInt64(), page.GetProperty("cursor").GetInt64());
            view = await Hub.NextAsync(view, TimeSpan.FromSeconds(1), CancellationToken.None);
        }
        throw new TimeoutException($"{type} on {stream} never appeared on the feed after {after}.");
    }

    [Fact]
    public async Task a_snapshot_plus_the_feed_reproduce_every_keys_state()
    {
        var token = await AdapterToken();
        var app = Api.Unique("app");
        var keys = new List<Api.Issued>();
        for (var i = 0; i < 5; i++)
            keys.Add(await fx.IssueKey(app, "gpt-4o-mini"));
        await fx.Api.Post($"/api/keys/{keys[0].Id}/suspend", new { reason = "before the snapshot" }, 200);

        var snapshot = await Snapshot(token);
        var cursor = snapshot.GetProperty("cursor").GetInt64();
        var state = snapshot.GetProperty("keys").EnumerateArray().ToDictionary(k => k.GetProperty("id").GetString()!, k => k.Clone());

        // After the snapshot: every kind of key change, and a brand new key.
        await fx.Api.Post($"/api/keys/{keys[0].Id}/resume", new { }, 200);
        await fx.Api.Post($"/api/keys/{keys[1].Id}/revoke", new { reason = "leaked" }, 200);
        await fx.Api.Post($"/api/keys/{keys[2].Id}/rotate", new { gracePeriodSeconds = 60 }, 200);
        await fx.Api.Post($"/api/keys/{keys[2].Id}/rotate", new { gracePeriodSeconds = 60 }, 200);
        await fx.Api.Scenario(s =>
        {
            s.Put.Json(new { models = new[] { "gpt-4o", "gpt-4o-mini" } }).ToUrl($"/api/keys/{keys[3].Id}/models");
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
        });
        await fx.Api.Post($"/api/keys/{keys[4].Id}/suspend", new { reason = "paused" }, 200);
        keys.Add(await fx.IssueKey(app, "gpt-4o-mini"));

        await using var session = fx.Store.QuerySession();
        var (changes, _) = await ReadUntil(cursor, await MaxSeq(), token);
        foreach (var change in changes.Where(c => c.TryGetProperty("key", out _)))
            state[change.GetProperty("key").GetProperty("id").GetString()!] = change.GetProperty("key").Clone();

        foreach (var key in keys)
        {
            var actual = (await session.LoadAsync<VirtualKey>(key.Id))!;
            var replayed = state[key.Id];
            Assert.Equal(actual.Status.ToString().ToLowerInvariant(), replayed.GetProperty("status").GetString());
            Assert.Equal(actual.Models, replayed.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
            Assert.Equal(actual.SecretHash, replayed.GetProperty("secretHash").GetString());
            Assert.Equal(actual.PreviousSecretHash, replayed.GetProperty("previousSecretHash").GetString());
            Assert.DoesNotContain(key.Key, snapshot.ToString());
        }
    }

    [Fact]
    public async Task the_snapshot_carries_prices_grants_apps_and_budgets_and_no_secret_but_hashes()
    {
        var token = await AdapterToken();
        var model = await fx.ProviderAndModel(inputPrice: 1m, outputPrice: 2m);
        var app = Api.Unique("app");
        var key = await fx.IssueKey(app, model);
        await fx.Api.Scenario(s =>
        {
            s.Put.Json(new { limit = 5m, period = "daily" }).ToUrl($"/api/budgets/app/{app}");
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
        });

        var snapshot = await Snapshot(token);

        var priced = snapshot.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == model);
        Assert.Equal(2m, priced.GetProperty("prices")[0].GetProperty("outputPer1M").GetDecimal());
        var budget = snapshot.GetProperty("budgets").EnumerateArray().Single(b => b.GetProperty("owner").GetString() == app);
        Assert.Equal(("app", 5m, "daily"), (budget.GetProperty("level").GetString(), budget.GetProperty("limit").GetDecimal(), budget.GetProperty("period").GetString()));
        var issued = snapshot.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("id").GetString() == key.Id);
        Assert.Equal("active", issued.GetProperty("status").GetString());
        Assert.DoesNotContain(key.Key, snapshot.ToString());
        Assert.DoesNotContain("sk-provider", snapshot.ToString());
    }

    [Fact]
    public async Task an_admin_reads_the_feed_without_secret_hashes()
    {
        var token = await AdapterToken();
        var start = (await Snapshot(token)).GetProperty("cursor").GetInt64();
        var key = await fx.IssueKey(Api.Unique("app"), "gpt-4o-mini");
        await Hub.WaitForMarkAsync(await MaxSeq(), TimeSpan.FromSeconds(10));

        var asAdmin = await Page(start, GovernanceFixture.AdminToken, extra: "&limit=1000");
        var asAdapter = await Page(start, token, extra: "&limit=1000");

        static JsonElement Issued(JsonElement page, string id) =>
            page.GetProperty("changes").EnumerateArray().Single(c => c.GetProperty("stream").GetString() == id).GetProperty("key");
        Assert.Equal(JsonValueKind.Null, Issued(asAdmin, key.Id).GetProperty("secretHash").ValueKind);
        Assert.Equal(64, Issued(asAdapter, key.Id).GetProperty("secretHash").GetString()!.Length);
    }

    /// <summary>
    /// A second API node on the same database: a cursor from the first node is good on the second, which has its own
    /// listener, and a quiet connection gets heartbeats carrying the cursor (1 s here, Feed__HeartbeatSeconds).
    /// </summary>
    [Fact]
    public async Task another_api_node_resumes_the_same_cursor_and_heartbeats_while_idle()
    {
        await using var second = await AlbaHost.For<Governance.Api.ApiMarker>(web =>
        {
            fx.Configure(web);
            web.UseSetting("Feed:HeartbeatSeconds", "1");
        });
        var token = await AdapterToken();
        var key = await fx.IssueKey(Api.Unique("app"), "gpt-4o-mini");
        var cursor = (await Snapshot(token)).GetProperty("cursor").GetInt64();
        await fx.Api.Post($"/api/keys/{key.Id}/revoke", new { reason = "leaked" }, 200);

        await using var feed = await FeedClient.ConnectAsync(second, token, cursor);
        var revoked = await feed.ChangeAsync("key_revoked", key.Id);
        var seq = revoked.Data.GetProperty("seq").GetInt64();
        var beat = await feed.NextAsync(e => e.Type == "heartbeat" && long.Parse(e.Id!) >= seq, timeoutSeconds: 15);

        Assert.Equal(beat.Data.GetProperty("cursor").GetInt64(), long.Parse(beat.Id!));
    }

    [Theory]
    [InlineData("after=-1", "after")]
    [InlineData("after=soon", "after")]
    [InlineData("wait=maybe", "wait")]
    [InlineData("wait=false&limit=0", "limit")]
    public async Task a_bad_feed_parameter_is_refused_naming_it(string query, string field)
    {
        var client = fx.Api.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", await AdapterToken());

        var response = await client.GetAsync("/api/feed?" + query);

        Assert.Equal(400, (int)response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty(field, out _));
    }
}
