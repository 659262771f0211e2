using System.Collections.Concurrent;
using Governance.Contracts.Usage;
using Governance.Domain.Access;
using Governance.Domain.Approvals;
using Governance.Domain.Budgets;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;
using ProxyAdapter.Reporting;

namespace ProxyAdapter.Governance;

/// <summary>
/// The governor that decides from memory: the feed's copy of keys, models, grants and providers, the domain's pure
/// decisions on it, and budget leases for money. Nothing on the hot path waits for PostgreSQL; usage and denials go to
/// the <see cref="IUsageSink"/>, and acknowledged usage settles the leases. Fails closed: a copy not known to be
/// current within <c>Proxy:MaxStalenessSeconds</c> admits nothing (503 <c>governance_unavailable</c>).
/// </summary>
public sealed class LeaseGovernor : IGovernor
{
    private const string AdmissionPrefix = "adm_";
    private readonly AdapterState _state;
    private readonly FeedFollower _feed;
    private readonly LeaseWallet _wallet;
    private readonly IUsageSink _sink;
    private readonly ILogger<LeaseGovernor> _log;
    // Admitted and not yet reported: what each was admitted for, and the feed sequence its decision rested on.
    private readonly ConcurrentDictionary<string, (decimal WorstCase, long DecidedAt)> _admitted = new();

    public LeaseGovernor(AdapterState state, FeedFollower feed, LeaseWallet wallet, IUsageSink sink, ILogger<LeaseGovernor> log)
    {
        (_state, _feed, _wallet, _sink, _log) = (state, feed, wallet, sink, log);
        sink.Acknowledged += wallet.Settle;
    }

    public async Task<AccessDecision> AuthenticateAsync(string presentedKey, DateTimeOffset now, CancellationToken ct) =>
        await Unavailable(presentedKey, ct) ?? AccessDecision.Authenticate(presentedKey, KnownKey(presentedKey), now);

    public async Task<Admission> DecideAsync(string presentedKey, string model, DateTimeOffset now, CancellationToken ct)
    {
        if (await Unavailable(presentedKey, ct) is { } unavailable)
            return new Admission(unavailable, null, []);
        var key = KnownKey(presentedKey);
        var definition = key is null ? null : _state.Model(model);
        var decision = AccessDecision.Decide(presentedKey, key, model, definition, now);
        var grant = decision.NeedsGrant(definition) ? _state.ActiveGrant(key!.Id, key.App, model, now) : null;
        decision = decision.WithGrant(definition, grant);
        if (decision.Allowed && definition is not ({ IsRouted: true } or { IsGroup: true }))
            decision = decision with { Allowed = false, Reason = DenialReasons.UnknownModel };
        if (!decision.Allowed)
            return new Admission(decision, null, []);
        if (definition!.Group is { } group)
            return Group(decision, grant, key!, group, now);

        // Fallbacks, depth-first, as the operator routed them; a restricted fallback is left out (its grant and spend cap
        // could not be held up front).
        var models = RoutingRules.Chain(model, m => _state.Model(m)?.Fallbacks ?? [])
            .Select(_state.Model)
            .Where(d => d is not null && (d.Id == model || d is { IsRouted: true, IsRestricted: false }))
            .Select(d => d!)
            .ToList();
        return new Admission(decision, grant, Candidates(models, now)) { Limits = key!.Limits };
    }

    /// <summary>
    /// A model group: its members (routed, priced, not restricted: a member is the operator's routing, like a fallback, so
    /// its grant could not be held up front) as one pool under the group's strategy, then their fallbacks, each model once.
    /// No member left to call is <c>unpriced_model</c> when some member exists but has no price, else <c>unknown_model</c>.
    /// </summary>
    private Admission Group(AccessDecision decision, AccessRequest? grant, VirtualKey key, ModelGroup group, DateTimeOffset now)
    {
        var members = group.Members.Select(_state.Model)
            .Where(d => d is { IsRouted: true, IsRestricted: false, IsGroup: false })
            .Select(d => d!)
            .ToList();
        var pool = Candidates(members, now);
        if (pool.Count == 0)
            return new Admission(decision with { Allowed = false, Reason = members.Count > 0 ? DenialReasons.UnpricedModel : DenialReasons.UnknownModel }, null, []);
        var named = pool.Select(c => c.Definition.Id).ToHashSet();
        var fallbacks = pool.SelectMany(m => RoutingRules.Chain(m.Definition.Id, n => _state.Model(n)?.Fallbacks ?? []).Skip(1))
            .Where(named.Add)
            .Select(_state.Model)
            .Where(d => d is { IsRouted: true, IsRestricted: false, IsGroup: false })
            .Select(d => d!)
            .ToList();
        return new Admission(decision, grant, [.. pool, .. Candidates(fallbacks, now)])
        {
            Limits = key.Limits, Primary = pool.Count, Strategy = group.Strategy,
        };
    }

    public async Task<(AccessDecision Key, IReadOnlyList<CandidateModel> Models)> ModelsForAsync(string presentedKey, DateTimeOffset now, CancellationToken ct)
    {
        if (await Unavailable(presentedKey, ct) is { } unavailable)
            return (unavailable, []);
        var key = KnownKey(presentedKey);
        var standing = AccessDecision.Authenticate(presentedKey, key, now);
        if (!standing.Allowed)
            return (standing, []);
        var allowed = _state.Models
            .Where(m => m.IsRouted && Decide(presentedKey, key!, m, now).Allowed)
            .OrderBy(m => m.Id, StringComparer.Ordinal)
            .ToList();
        return (standing, Candidates(allowed, now));
    }

    private AccessDecision Decide(string presentedKey, VirtualKey key, ModelDefinition definition, DateTimeOffset now)
    {
        var decision = AccessDecision.Decide(presentedKey, key, definition.Id, definition, now);
        return decision.WithGrant(definition, decision.NeedsGrant(definition) ? _state.ActiveGrant(key.Id, key.App, definition.Id, now) : null);
    }

    public async Task<HoldAnswer> HoldAsync(HoldRequest request, DateTimeOffset now, CancellationToken ct)
    {
        var levels = new List<(BudgetLevel, string)>();
        void Need(BudgetLevel level, string? owner)
        {
            if (owner is not null && _state.BudgetPeriod(level, owner) is not null)
                levels.Add((level, owner));
        }
        Need(BudgetLevel.Key, request.KeyId);
        Need(BudgetLevel.App, request.App);
        Need(BudgetLevel.Team, _state.TeamOf(request.App));
        Need(BudgetLevel.Grant, request.GrantId);

        var admission = new LeaseAdmission(AdmissionPrefix + Guid.NewGuid().ToString("N"));
        var decidedAt = _state.Seen;
        var outcome = await _wallet.AdmitAsync(admission.Id, request.KeyId, request.Model, levels, request.Amount, ct);
        if (!outcome.Allowed)
            return new HoldAnswer(null, outcome.Shortfall, outcome.Shortfall is null ? outcome.Refusal : null);
        _admitted[admission.Id] = (request.Amount, decidedAt);
        return new HoldAnswer(admission, null, null);
    }

    public async Task RecordAsync(UsageReport report, LeaseAdmission? admission)
    {
        // The request's cost is drawn from the leases it was admitted under.
        if (admission is not null)
        {
            _admitted.TryRemove(admission.Id, out var admitted);
            report = report with
            {
                LeaseIds = _wallet.Bind(admission.Id, report.RequestId), WorstCaseCost = admitted.WorstCase, DecidedAtSequence = admitted.DecidedAt,
            };
        }
        try
        {
            await _sink.AppendAsync(report, CancellationToken.None);
        }
        catch (Exception e)
        {
            _log.LogError(e, "Could not record request {RequestId} for key {KeyId}", report.RequestId, report.KeyId);
        }
    }

    public async Task RecordDenialAsync(RequestDenied denied)
    {
        try
        {
            await _sink.AppendAsync(denied, CancellationToken.None);
        }
        catch (Exception e)
        {
            _log.LogError(e, "Could not record the denial of request {RequestId}", denied.RequestId);
        }
    }

    /// <summary>The key whose id the presented key embeds (a well-formed key with a valid checksum), if the copy has it.</summary>
    private VirtualKey? KnownKey(string presentedKey) => KeyFormat.TryGetKeyId(presentedKey) is { } keyId ? _state.Key(keyId) : null;

    private async ValueTask<AccessDecision?> Unavailable(string presentedKey, CancellationToken ct) =>
        await _feed.EnsureFreshAsync(ct)
            ? null
            : new AccessDecision(false, DenialReasons.GovernanceUnavailable, KeyFormat.TryGetKeyId(presentedKey), null);

    private IReadOnlyList<CandidateModel> Candidates(IReadOnlyList<ModelDefinition> models, DateTimeOffset now) =>
        models
            .Where(m => m.PriceAt(now) is not null)
            .Select(m => new CandidateModel(m, m.PriceAt(now)!, m.Routes()
                .Select(d => (Deployment: d, Provider: _state.Provider(d.Provider)))
                .Where(r => r.Provider is not null)
                .Select(r => new ProviderRoute(r.Deployment, r.Provider!))
                .ToList()))
            .ToList();
}
