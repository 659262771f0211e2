using System.Collections.Concurrent;
using Governance.Contracts.Feed;
using Governance.Domain.Approvals;
using Governance.Domain.Budgets;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;

namespace ProxyAdapter.Governance;

/// <summary>
/// The adapter's in-memory copy of what it decides on, loaded from <c>GET /api/feed/snapshot</c> and kept current by
/// the change feed. Every change replaces the state of what it names; a change older (by sequence) than what an entry
/// already shows is dropped, so a replay after a reconnect or a catch-up read never moves a key back in time.
/// Written by the feed follower (its stream and its catch-up reads); read by every request.
/// </summary>
/// <remarks>
/// Keys and budgets are what grow (100,000 keys and more), so they are kept compactly (<see cref="KeyEntry"/>,
/// <see cref="BudgetEntry"/>): only what a decision reads, each entry carrying its own sequence, strings shared by
/// every key that has them. Models, providers, apps and grants are few and kept as the domain's records.
/// </remarks>
public sealed class AdapterState(TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, KeyEntry> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, BudgetEntry> _budgets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Versioned<ModelDefinition>> _models = new();
    private readonly ConcurrentDictionary<string, Versioned<Provider>> _providers = new();
    private readonly ConcurrentDictionary<string, Versioned<string?>> _teams = new();
    private readonly ConcurrentDictionary<string, Versioned<AccessRequest>> _grants = new();
    private readonly KeyParts _parts = new();
    private readonly object _signal = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _seen = -1;
    private long _heardAtTicks = long.MinValue;

    /// <summary>Raised for a <c>lease_recalled</c> change (whoever it is addressed to).</summary>
    public event Action<FeedLeaseRecall>? Recalled;

    public bool Loaded => Volatile.Read(ref _seen) >= 0;

    /// <summary>Every feed change at or below this has been applied (the snapshot's cursor, a change's seq, a heartbeat's cursor).</summary>
    public long Seen => Volatile.Read(ref _seen);

    /// <summary>When the adapter last heard from the governance API that its copy is current, on the injected clock.</summary>
    public DateTimeOffset? HeardAt
    {
        get
        {
            var ticks = Volatile.Read(ref _heardAtTicks);
            return ticks == long.MinValue ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    public int KeyCount => _keys.Count;

    /// <summary>The key as the domain's record, built for this call from the compact entry (fields no decision reads are empty).</summary>
    public VirtualKey? Key(string id) => _keys.TryGetValue(id, out var entry) ? entry.ToKey(id) : null;

    public ModelDefinition? Model(string name) => _models.TryGetValue(name, out var m) ? m.Value : null;
    public Provider? Provider(string name) => _providers.TryGetValue(name, out var p) ? p.Value : null;
    public IEnumerable<ModelDefinition> Models => _models.Values.Select(m => m.Value);
    public string? TeamOf(string app) => _teams.TryGetValue(app, out var t) ? t.Value : null;

    /// <summary>The period of the budget set at this level for this owner; null when there is none.</summary>
    public BudgetPeriod? BudgetPeriod(BudgetLevel level, string owner) =>
        _budgets.TryGetValue(BudgetIds.Definition(level, owner), out var b) ? b.Period : null;

    public AccessRequest? ActiveGrant(string keyId, string app, string model, DateTimeOffset now) =>
        AccessRequest.ActiveGrant(_grants.Values.Select(g => g.Value), keyId, app, model, now);

    /// <summary>One item of a snapshot or a change, as of feed sequence <paramref name="seq"/>.</summary>
    public void Put(FeedKey k, long seq) => Newest(_keys, k.Id, KeyEntry.From(k, seq, _parts));
    public void Put(FeedModel m, long seq) => Newest(_models, m.Name, new Versioned<ModelDefinition>(FeedMapping.ToModel(m), seq));
    public void Put(FeedProvider p, long seq) => Newest(_providers, p.Name, new Versioned<Provider>(FeedMapping.ToProvider(p), seq));
    public void Put(FeedApp a, long seq) => Newest(_teams, a.Name, new Versioned<string?>(a.Team is null ? null : _parts.Intern(a.Team), seq));
    public void Put(FeedBudget b, long seq) => Newest(_budgets, b.Id, new BudgetEntry(Enum.Parse<BudgetPeriod>(b.Period, ignoreCase: true), seq));
    public void Put(FeedGrant g, long seq) => Newest(_grants, g.Id, new Versioned<AccessRequest>(FeedMapping.ToGrant(g), seq));

    /// <summary>A snapshot has been applied (every item put as of its cursor): the copy is loaded and current to the cursor.</summary>
    public void SnapshotApplied(long cursor) => Advance(cursor);

    public void Apply(FeedChange change)
    {
        if (change.Key is { } k)
            Put(k, change.Seq);
        else if (change.Model is { } m)
            Put(m, change.Seq);
        else if (change.Provider is { } p)
            Put(p, change.Seq);
        else if (change.App is { } a)
            Put(a, change.Seq);
        else if (change.Budget is { } b)
            Put(b, change.Seq);
        else if (change.Grant is { } g)
            Put(g, change.Seq);
        else if (change.Lease is { } recall)
            Recalled?.Invoke(recall);
        Advance(change.Seq);
    }

    /// <summary>A heartbeat (or a caught-up page): every change up to <paramref name="cursor"/> has been delivered.</summary>
    public void CaughtUp(long cursor) => Advance(cursor);

    /// <summary>Completes once <see cref="Seen"/> has reached <paramref name="seq"/>.</summary>
    public Task WaitForAsync(long seq, CancellationToken ct) => WaitUntilAsync(state => state.Seen >= seq, ct);

    /// <summary>Completes once <paramref name="condition"/> holds, checked after every change applied (no polling).</summary>
    public async Task WaitUntilAsync(Func<AdapterState, bool> condition, CancellationToken ct)
    {
        while (true)
        {
            Task changed;
            lock (_signal)
            {
                if (condition(this))
                    return;
                changed = _changed.Task;
            }
            await changed.WaitAsync(ct);
        }
    }

    // The follower's stream and a catch-up read may put the same entry at once: the newer sequence wins, atomically.
    private static void Newest<T>(ConcurrentDictionary<string, T> map, string id, T value) where T : ISequenced =>
        map.AddOrUpdate(id, static (_, v) => v, static (_, seen, v) => v.Seq >= seen.Seq ? v : seen, value);

    private void Advance(long seq)
    {
        Volatile.Write(ref _heardAtTicks, clock.GetUtcNow().UtcTicks);
        TaskCompletionSource pulse;
        lock (_signal)
        {
            if (seq > _seen)
                _seen = seq;
            pulse = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        pulse.TrySetResult();
    }
}

internal interface ISequenced
{
    long Seq { get; }
}

internal sealed record Versioned<T>(T Value, long Seq) : ISequenced;

/// <summary>A budget as decisions read it: that it exists (a hold is needed at its level) and its period.</summary>
internal sealed record BudgetEntry(BudgetPeriod Period, long Seq) : ISequenced;
