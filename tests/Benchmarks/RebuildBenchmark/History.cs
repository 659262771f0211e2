using System.Security.Cryptography;
using Governance.Domain.Access;
using Governance.Domain.Alerts;
using Governance.Domain.Approvals;
using Governance.Domain.Budgets;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;
using Governance.Domain.Operators;
using Governance.Domain.Pricing;
using Governance.Domain.Usage;

namespace RebuildBenchmark;

/// <summary>One stream's new events, each with the time it happened.</summary>
internal sealed class StreamBuffer(string id)
{
    public string Id { get; } = id;
    public List<(object Event, DateTimeOffset At)> Events { get; } = [];
}

/// <summary>
/// A realistic gateway history, made with the domain's own events and deciders: a catalog, operators, apps in teams,
/// keys with rotations, suspensions, revocations and scope changes, grants, daily budgets at key and app level, and
/// day after day of traffic. 40 % of requests go through the proxy's path (reservation, a hold in every budget window,
/// capture, ledger entry), 60 % are reported in batches (ledger entries, one settlement per window per batch of 100),
/// 1 % are denied. Each day is self-contained (its request, reservation and window streams start and end that day), so
/// it is appended as one bulk chunk and memory stays bounded.
/// </summary>
internal sealed class History(int seed, int requestsPerDay)
{
    private const string Operator = "op_benchmark00000";
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly Random _random = new(seed);
    private readonly List<ModelDefinition> _models = [];
    private readonly List<(VirtualKey Key, string? Team, Budget? Budget)> _keys = [];
    private readonly Dictionary<string, Budget> _appBudgets = [];
    private readonly Dictionary<string, string> _grants = [];

    public int Day { get; private set; }

    /// <summary>Catalog, operators, apps, keys (with their whole lifecycle), policies, grants and budget definitions.</summary>
    public IReadOnlyList<StreamBuffer> Setup()
    {
        var streams = new List<StreamBuffer>();
        StreamBuffer New(string id)
        {
            var s = new StreamBuffer(id);
            streams.Add(s);
            return s;
        }

        for (var o = 0; o < 5; o++)
            New($"op_{o:x16}").Events.Add((new OperatorTokenIssued($"op_{o:x16}", $"operator-{o}", [o == 0 ? "admin" : "approver"], [],
                Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), Operator, Start), Start));
        foreach (var provider in new[] { "openai", "azure" })
            New(provider).Events.Add((new ProviderRegistered(provider, ProviderKinds.OpenAi, $"https://{provider}.example/v1",
                Convert.ToBase64String(RandomNumberGenerator.GetBytes(60)), Operator, Start), Start));
        New("webhook:global").Events.Add((new WebhookConfigured("global", "https://hooks.example/governance",
            Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)), Operator, Start), Start));

        for (var m = 0; m < 12; m++)
        {
            var name = $"model-{m:00}";
            var stream = New(name);
            var input = 0.05m * (m + 1);
            var events = new List<object>
            {
                new ModelRegistered(name, m % 2 == 0 ? "openai" : "azure", name + "-upstream", Operator, Start),
                new PriceSet(name, input, input * 4, input / 2, Start, "catalog", Operator, Start),
            };
            if (m % 3 == 0)
                events.Add(new PriceSet(name, input * 0.8m, input * 3.2m, input / 2, Start.AddDays(20), "provider price cut", Operator, Start.AddDays(15)));
            if (m == 11)
                events.Add(new ModelPolicySet(name, true, 2, 30, 50m, 7, Operator, Start));
            foreach (var e in events)
                stream.Events.Add((e, Start));
            _models.Add(events.Aggregate((ModelDefinition?)null, ModelDefinition.Evolve)!);
        }

        for (var a = 0; a < 40; a++)
        {
            var app = $"app-{a:00}";
            var team = a % 5 == 0 ? null : $"team-{a % 8}";
            New(BudgetIds.App(app)).Events.Add((new AppTeamAssigned(app, team, Operator, Start), Start));
            var appBudget = new BudgetSet(BudgetLevel.App, app, 5_000m, BudgetPeriod.Daily, Budget.DefaultThresholds, Operator, Start);
            New(BudgetIds.Definition(BudgetLevel.App, app)).Events.Add((appBudget, Start));
            _appBudgets[app] = Budget.Evolve(null, appBudget)!;

            for (var k = 0; k < 10; k++)
            {
                var keyId = KeyFormat.NewKeyId();
                var scope = Enumerable.Range(0, 4).Select(_ => _models[_random.Next(_models.Count - 1)].Id).Distinct().ToList();
                var key = New(keyId);
                var life = new List<(object, DateTimeOffset)> { (new KeyIssued(keyId, app, $"{app}-key-{k}", scope, null, Hash(), Operator, Start), Start) };
                var at = Start.AddDays(_random.Next(1, 25));
                switch (k)
                {
                    case 1:
                        life.Add((new KeyRotated(keyId, Hash(), at.AddDays(1), Operator, at), at));
                        break;
                    case 2:
                        life.Add((new KeySuspended(keyId, "investigating", Operator, at), at));
                        life.Add((new KeyResumed(keyId, Operator, at.AddHours(3)), at.AddHours(3)));
                        break;
                    case 3:
                        life.Add((new KeyScopeChanged(keyId, [.. scope, _models[_random.Next(_models.Count - 1)].Id], Operator, at), at));
                        life.Add((new KeyPolicyChanged(keyId, true, Operator, at), at));
                        break;
                    case 4 when a % 4 == 0:
                        life.Add((new KeyRevoked(keyId, "app retired", Operator, at), at));
                        break;
                }
                key.Events.AddRange(life);
                var state = life.Aggregate((VirtualKey?)null, (s, e) => VirtualKey.Evolve(s, e.Item1))!;

                Budget? keyBudget = null;
                if (k % 4 == 0)
                {
                    var set = new BudgetSet(BudgetLevel.Key, keyId, 500m, BudgetPeriod.Daily, [50, 80, 100], Operator, Start);
                    New(BudgetIds.Definition(BudgetLevel.Key, keyId)).Events.Add((set, Start));
                    keyBudget = Budget.Evolve(null, set);
                }
                if (state.Status != KeyStatus.Revoked)
                    _keys.Add((state, team, keyBudget));

                if (k == 5)
                {
                    var requestId = "acr_" + Guid.NewGuid().ToString("N");
                    var restricted = _models[^1];
                    var granted = Start.AddHours(2);
                    New(requestId).Events.AddRange([
                        (new AccessRequested(requestId, keyId, app, restricted.Id, "quarter close", 30, 50m, restricted.Policy!, Operator, Start), Start),
                        (new AccessApproved(requestId, "op_0000000000000001", "ok", granted), granted),
                        (new AccessApproved(requestId, "op_0000000000000002", "agreed", granted), granted),
                        (new AccessGranted(requestId, granted, granted.AddDays(30), 50m, granted), granted),
                    ]);
                    _grants[keyId] = requestId;
                }
            }
        }
        return streams;
    }

    /// <summary>The next day's traffic: request, reservation, denial and budget-window streams, all started that day.</summary>
    public IReadOnlyList<StreamBuffer> NextDay()
    {
        var day = Start.AddDays(1 + Day++);
        var streams = new Dictionary<string, StreamBuffer>();
        var windows = new Dictionary<string, (Budget Budget, BudgetWindowState State)>();
        var pending = new Dictionary<string, List<SettledEntry>>();
        StreamBuffer Stream(string id) => streams.TryGetValue(id, out var s) ? s : streams[id] = new StreamBuffer(id);

        void Append(string windowId, object[] events, DateTimeOffset at)
        {
            var (budget, state) = windows[windowId];
            foreach (var e in events)
            {
                Stream(windowId).Events.Add((e, at));
                state = BudgetWindowState.Evolve(state, windowId, e)!;
            }
            windows[windowId] = (budget, state);
        }

        string Window(Budget budget, DateTimeOffset at)
        {
            var id = budget.WindowStreamAt(at);
            if (!windows.ContainsKey(id))
            {
                var opened = BudgetDecider.Open(budget, at, 0m, at);
                Stream(id).Events.Add((opened, at));
                windows[id] = (budget, BudgetWindowState.Evolve(null, id, opened)!);
            }
            return id;
        }

        void Flush(DateTimeOffset at)
        {
            foreach (var (windowId, entries) in pending.Where(p => p.Value.Count > 0))
            {
                Append(windowId, BudgetDecider.Settle(windows[windowId].Budget, windows[windowId].State, entries, at), at);
                entries.Clear();
            }
        }

        for (var i = 0; i < requestsPerDay; i++)
        {
            var at = day.AddTicks(TimeSpan.TicksPerDay / requestsPerDay * i);
            var (key, team, keyBudget) = _keys[_random.Next(_keys.Count)];
            var restricted = _grants.ContainsKey(key.Id) && _random.Next(10) == 0;
            var pick = key.Models[_random.Next(key.Models.Count)];
            var model = restricted ? _models[^1] : _models.First(m => m.Id == pick);
            var requestId = "req_" + Guid.NewGuid().ToString("N");
            if (_random.Next(100) == 0)
            {
                Stream(requestId).Events.Add((new RequestDenied(requestId, key.Id, key.App, model.Id, DenialReasons.ModelNotAllowed,
                    null, null, null, null, "adapter:bench", at), at));
                continue;
            }

            var price = model.PriceAt(at)!;
            var usage = new TokenUsage(_random.Next(50, 6000), _random.Next(0, 200), _random.Next(5, 1500), _random.Next(0, 300));
            var cost = Pricing.Cost(usage, price);
            var budgets = keyBudget is null ? [_appBudgets[key.App]] : new[] { keyBudget, _appBudgets[key.App] };
            string? reservationId = null;
            var done = at.AddSeconds(2);
            if (_random.Next(10) < 4)
            {
                reservationId = "rsv_" + Guid.NewGuid().ToString("N");
                var amount = Pricing.WorstCase(usage.Input + 100, 4096, price);
                var held = budgets.Select(b => Window(b, at)).ToList();
                foreach (var w in held)
                    Append(w, [new HoldPlaced(reservationId, amount, at.AddMinutes(10), key.Id, model.Id, at)], at);
                Stream(reservationId).Events.Add((new ReservationOpened(reservationId, key.Id, key.App, team, model.Id, price.Version, amount, held,
                    at.AddMinutes(10), "adapter:bench", at) { GrantId = restricted ? _grants[key.Id] : null }, at));
                foreach (var w in held)
                    Append(w, BudgetDecider.Capture(windows[w].Budget, windows[w].State, reservationId, requestId, cost, done), done);
                Stream(reservationId).Events.Add((new ReservationCaptured(reservationId, requestId, cost, done), done));
            }
            else
            {
                foreach (var b in budgets)
                {
                    var w = Window(b, at);
                    if (!pending.TryGetValue(w, out var entries))
                        pending[w] = entries = [];
                    entries.Add(new SettledEntry(requestId, cost));
                }
            }
            Stream(requestId).Events.Add((new RequestCompleted(requestId, key.Id, key.App, team, model.Id, model.Provider, usage.Input, usage.Cached,
                usage.Output, usage.Reasoning, cost, price.Version, _random.Next(80, 4000), _random.Next(50) == 0 ? 502 : 200, reservationId,
                "adapter:bench", at, done) { GrantId = restricted ? _grants[key.Id] : null }, done));
            if (i % 100 == 99)
                Flush(done);
        }
        Flush(day.AddDays(1).AddSeconds(-1));
        return streams.Values.ToList();
    }

    private static string Hash() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
