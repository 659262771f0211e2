using System.Collections.Concurrent;
using Governance.Domain.Approvals;
using Governance.Domain.Budgets;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;
using Governance.Projections.Feed;

namespace ProxyAdapter.Governance;

/// <summary>
/// The adapter's in-memory copy of what it decides on, loaded from <c>GET /api/feed/snapshot</c> and kept current by
/// the change feed. Every change replaces the state of what it names; a change older (by sequence) than what a stream
/// already shows is dropped, so a replay after a reconnect or a catch-up read never moves a key back in time.
/// Written by the feed follower only; read by every request.
/// </summary>
public sealed class AdapterState(TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, VirtualKey> _keys = new();
    private readonly ConcurrentDictionary<string, ModelDefinition> _models = new();
    private readonly ConcurrentDictionary<string, Provider> _providers = new();
    private readonly ConcurrentDictionary<string, string?> _teams = new();
    private readonly ConcurrentDictionary<string, Budget> _budgets = new();
    private readonly ConcurrentDictionary<string, AccessRequest> _grants = new();
    private readonly ConcurrentDictionary<string, long> _streamSeq = new();
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

    public VirtualKey? Key(string id) => _keys.GetValueOrDefault(id);
    public ModelDefinition? Model(string name) => _models.GetValueOrDefault(name);
    public Provider? Provider(string name) => _providers.GetValueOrDefault(name);
    public IEnumerable<ModelDefinition> Models => _models.Values;
    public string? TeamOf(string app) => _teams.GetValueOrDefault(app);
    public Budget? Budget(BudgetLevel level, string owner) => _budgets.GetValueOrDefault(BudgetIds.Definition(level, owner));

    public AccessRequest? ActiveGrant(string keyId, string app, string model, DateTimeOffset now) =>
        AccessRequest.ActiveGrant(_grants.Values, keyId, app, model, now);

    public void Load(FeedSnapshot snapshot)
    {
        foreach (var k in snapshot.Keys)
            Put(_keys, k.Id, FeedMapping.ToKey(k), "key", snapshot.Cursor);
        foreach (var m in snapshot.Models)
            Put(_models, m.Name, FeedMapping.ToModel(m), "model", snapshot.Cursor);
        foreach (var p in snapshot.Providers)
            Put(_providers, p.Name, FeedMapping.ToProvider(p), "provider", snapshot.Cursor);
        foreach (var a in snapshot.Apps)
            Put(_teams, a.Name, a.Team, "app", snapshot.Cursor);
        foreach (var b in snapshot.Budgets)
            Put(_budgets, b.Id, FeedMapping.ToBudget(b), "budget", snapshot.Cursor);
        foreach (var g in snapshot.Grants)
            Put(_grants, g.Id, FeedMapping.ToGrant(g), "grant", snapshot.Cursor);
        Advance(snapshot.Cursor);
    }

    public void Apply(FeedChange change)
    {
        if (change.Key is { } k)
            Put(_keys, k.Id, FeedMapping.ToKey(k), "key", change.Seq);
        else if (change.Model is { } m)
            Put(_models, m.Name, FeedMapping.ToModel(m), "model", change.Seq);
        else if (change.Provider is { } p)
            Put(_providers, p.Name, FeedMapping.ToProvider(p), "provider", change.Seq);
        else if (change.App is { } a)
            Put(_teams, a.Name, a.Team, "app", change.Seq);
        else if (change.Budget is { } b)
            Put(_budgets, b.Id, FeedMapping.ToBudget(b), "budget", change.Seq);
        else if (change.Grant is { } g)
            Put(_grants, g.Id, FeedMapping.ToGrant(g), "grant", change.Seq);
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

    private void Put<T>(ConcurrentDictionary<string, T> map, string id, T value, string kind, long seq)
    {
        var stream = kind + ":" + id;
        var newer = true;
        _streamSeq.AddOrUpdate(stream, seq, (_, seen) =>
        {
            newer = seq >= seen;
            return Math.Max(seq, seen);
        });
        if (newer)
            map[id] = value;
    }

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
