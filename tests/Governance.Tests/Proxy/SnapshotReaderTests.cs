using System.Text.Json;
using Governance.Contracts.Feed;
using Governance.Domain.Access;
using Governance.Domain.Budgets;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;
using Governance.Domain.Pricing;
using ProxyAdapter.Governance;

namespace Governance.Tests.Proxy;

/// <summary>
/// The adapter reads the snapshot as it arrives, a few bytes at a time if the network gives it so, into its compact
/// copy; a decision on that copy is the one the domain makes on the API's state.
/// </summary>
public sealed class SnapshotReaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 2, 14, 3, 0, TimeSpan.Zero);

    private static (FeedKey Key, string Presented) NewKey(string app, IReadOnlyList<string> models, KeyRateLimits? limits = null)
    {
        var id = KeyFormat.NewKeyId();
        var presented = KeyFormat.NewKey(id);
        return (new FeedKey(id, app, "active", models, null, KeyFormat.Hash(presented), null, null, limits ?? KeyRateLimits.None), presented);
    }

    private static FeedSnapshot Snapshot(long cursor, IReadOnlyList<FeedKey> keys) => new(
        cursor, keys,
        [new FeedModel("gpt-test", "openai", "gpt-4o-mini", [new PriceVersion(1, 0.15m, 0.6m, null, Now.AddDays(-1), "test")], false)
            { Deployments = [new Deployment("openai/gpt-4o-mini", "openai", "gpt-4o-mini", 1)] }],
        [new FeedApp("app-a", "team-a")],
        [new FeedBudget("budget:key:" + keys[0].Id, "key", keys[0].Id, 10m, "monthly")],
        [])
    {
        Providers = [new FeedProvider("openai", "openai", "https://api.openai.com/v1", "ciphertext")],
    };

    private static async Task<(AdapterState State, long Cursor)> ReadAsync(FeedSnapshot snapshot, int bytesPerRead)
    {
        var state = new AdapterState(TimeProvider.System);
        await using var body = new Trickle(JsonSerializer.SerializeToUtf8Bytes(snapshot, GovernanceClient.Json), bytesPerRead);
        return (state, await SnapshotReader.ReadAsync(body, state, GovernanceClient.Json, CancellationToken.None));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(1000)]
    [InlineData(1 << 20)]
    public async Task every_item_arrives_whatever_the_reads_and_keys_decide_as_the_domain_decides(int bytesPerRead)
    {
        var keys = Enumerable.Range(0, 300).Select(i => NewKey(i % 2 == 0 ? "app-a" : "app-b", ["gpt-test"])).ToList();
        var (limited, limitedPresented) = NewKey("app-a", ["*"], new KeyRateLimits(60, null, 2));
        var all = keys.Select(k => k.Key).Append(limited).ToList();

        var (state, cursor) = await ReadAsync(Snapshot(42, all), bytesPerRead);

        Assert.Equal(42, cursor);
        Assert.Equal(301, state.KeyCount);
        var model = state.Model("gpt-test");
        Assert.NotNull(model);
        foreach (var (key, presented) in keys)
        {
            var decision = AccessDecision.Decide(presented, state.Key(key.Id), "gpt-test", model, Now);
            Assert.True(decision.Allowed);
            Assert.Equal(key.App, decision.App);
        }
        // Another key's secret under this key's id is refused, as the API refuses it.
        Assert.Equal(DenialReasons.UnknownKey, AccessDecision.Decide(keys[1].Presented, state.Key(keys[0].Key.Id), "gpt-test", model, Now).Reason);
        Assert.Equal(new KeyRateLimits(60, null, 2), state.Key(limited.Id)!.RateLimits);
        Assert.True(AccessDecision.Decide(limitedPresented, state.Key(limited.Id), "gpt-test", model, Now).Allowed);
        Assert.Equal("team-a", state.TeamOf("app-a"));
        Assert.Equal(BudgetPeriod.Monthly, state.BudgetPeriod(BudgetLevel.Key, keys[0].Key.Id));
        Assert.Null(state.BudgetPeriod(BudgetLevel.Key, keys[1].Key.Id));
        Assert.Equal("ciphertext", state.Provider("openai")!.EncryptedApiKey);
    }

    [Fact]
    public async Task an_item_larger_than_the_read_buffer_is_read_whole()
    {
        var scope = Enumerable.Range(0, 10_000).Select(i => $"model-{i:D6}").ToList();
        var (key, _) = NewKey("app-a", scope);

        var (state, _) = await ReadAsync(Snapshot(7, [key]), 4096);

        Assert.Equal(scope, state.Key(key.Id)!.Models);
    }

    [Fact]
    public async Task a_feed_change_older_than_the_snapshot_does_not_move_a_key_back()
    {
        var (key, presented) = NewKey("app-a", ["gpt-test"]);
        var (state, _) = await ReadAsync(Snapshot(50, [key with { Status = "revoked" }]), 1 << 20);

        state.Apply(new FeedChange(40, "key_issued", "key:" + key.Id, Now) { Key = key });

        Assert.Equal(DenialReasons.Revoked, AccessDecision.Decide(presented, state.Key(key.Id), "gpt-test", state.Model("gpt-test"), Now).Reason);
    }

    [Fact]
    public async Task a_snapshot_cut_short_is_an_error_not_a_partial_copy()
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(Snapshot(9, [NewKey("app-a", ["gpt-test"]).Key]), GovernanceClient.Json);
        var state = new AdapterState(TimeProvider.System);
        await using var body = new Trickle(bytes[..^40], 64);

        await Assert.ThrowsAnyAsync<JsonException>(() => SnapshotReader.ReadAsync(body, state, GovernanceClient.Json, CancellationToken.None));
        Assert.False(state.Loaded);
    }

    /// <summary>A response body that hands out at most a few bytes per read, as a slow network does.</summary>
    private sealed class Trickle(byte[] data, int bytesPerRead) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, bytesPerRead)], ct);
    }
}
