using Governance.Domain.Access;
using Governance.Domain.Approvals;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;
using Governance.Domain.Pricing;
using Governance.Projections;
using Governance.Projections.Audit;
using Governance.Projections.Budgets;
using Governance.Projections.Usage;
using Marten;
using Wolverine.Marten;
using Wolverine.Runtime;

namespace ProxyAdapter;

/// <summary>A model a call may be served by, priced now, with the deployments whose provider exists.</summary>
public sealed record CandidateModel(ModelDefinition Definition, PriceVersion Price, IReadOnlyList<ProviderRoute> Routes);

public sealed record ProviderRoute(Deployment Deployment, Provider Provider);

/// <summary>Allow/deny for the requested model, the grant that admits it, and every model the call may reach (requested one first).</summary>
public sealed record Admission(AccessDecision Decision, AccessRequest? Grant, IReadOnlyList<CandidateModel> Models);

/// <summary>
/// The proxy's three governance steps — decide, hold the worst case, record what happened — behind one seam, so they
/// can move from PostgreSQL round trips to in-memory budget leases (issue #5) without touching the gateway.
/// </summary>
public interface IGovernor
{
    Task<Admission> DecideAsync(string presentedKey, string model, DateTimeOffset now, CancellationToken ct);

    /// <summary>Every routed model the key may call now; a denial when the key itself is refused.</summary>
    Task<(AccessDecision Key, IReadOnlyList<CandidateModel> Models)> ModelsForAsync(string presentedKey, DateTimeOffset now, CancellationToken ct);

    Task<HoldOutcome> HoldAsync(HoldRequest request, DateTimeOffset now, CancellationToken ct);

    /// <summary>Captures the actual cost. Never throws: the caller already has its answer.</summary>
    Task RecordAsync(UsageReport report);

    /// <summary>Leaves a trace of a refused call, so it can be explained later. Never throws: the caller's answer is the denial.</summary>
    Task RecordDenialAsync(RequestDenied denied);
}

/// <summary>The governor on Marten's inline projections, as in the skeleton: every step is a database round trip.</summary>
public sealed class MartenGovernor(IDocumentStore store, IWolverineRuntime runtime, AdapterIdentity adapter, TimeProvider clock, ILogger<MartenGovernor> log)
    : IGovernor
{
    public async Task<Admission> DecideAsync(string presentedKey, string model, DateTimeOffset now, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var (decision, definition, grant) = await session.DecideAsync(presentedKey, model, now, ct);
        if (decision.Allowed && definition is not { IsRouted: true })
            decision = decision with { Allowed = false, Reason = DenialReasons.UnknownModel };
        if (!decision.Allowed)
            return new Admission(decision, null, []);

        // Fallbacks, depth-first. They are the operator's routing: the key's scope names the models it may ask for, not
        // what serves them. A restricted fallback is left out (its grant and spend cap could not be held up front).
        var definitions = new Dictionary<string, ModelDefinition> { [model] = definition! };
        for (var wanted = definition!.Fallbacks.ToList(); wanted.Count > 0 && definitions.Count <= RoutingRules.MaxFallbacks;)
        {
            var loaded = await session.LoadManyAsync<ModelDefinition>(ct, wanted);
            foreach (var m in loaded)
                definitions[m.Id] = m;
            wanted = loaded.SelectMany(m => m.Fallbacks).Where(f => !definitions.ContainsKey(f)).Distinct().ToList();
            if (loaded.Count == 0)
                break;
        }
        var models = RoutingRules.Chain(model, m => definitions.TryGetValue(m, out var d) ? d.Fallbacks : [])
            .Select(m => definitions.GetValueOrDefault(m))
            .Where(d => d is not null && (d.Id == model || d is { IsRouted: true, IsRestricted: false }))
            .Select(d => d!)
            .ToList();

        return new Admission(decision, grant, await CandidatesAsync(session, models, now, ct));
    }

    public async Task<(AccessDecision Key, IReadOnlyList<CandidateModel> Models)> ModelsForAsync(string presentedKey, DateTimeOffset now, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var keyId = KeyFormat.TryGetKeyId(presentedKey);
        var key = keyId is null ? null : await session.LoadAsync<VirtualKey>(keyId, ct);
        // Asked about no model, a usable key is refused only for that: unknown_model.
        var standing = AccessDecision.Decide(presentedKey, key, "", null, now);
        if (standing.Reason != DenialReasons.UnknownModel)
            return (standing, []);

        var allowed = new List<ModelDefinition>();
        foreach (var model in await session.Query<ModelDefinition>().Where(m => m.Provider != null).OrderBy(m => m.Id).ToListAsync(ct))
        {
            if (!AccessDecision.Decide(presentedKey, key, model.Id, model, now).Allowed)
                continue;
            if (model.IsRestricted && await AccessCheck.ActiveGrantAsync(session, key!.Id, key.App, model.Id, now, ct) is null)
                continue;
            allowed.Add(model);
        }
        return (standing with { Allowed = true, Reason = null }, await CandidatesAsync(session, allowed, now, ct));
    }

    public async Task<HoldOutcome> HoldAsync(HoldRequest request, DateTimeOffset now, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        return await Holds.PlaceAsync(session, new MartenOutbox(runtime, session), request, now, ct);
    }

    public Task RecordDenialAsync(RequestDenied denied) => Denials.RecordAsync(store, denied, log);

    public async Task RecordAsync(UsageReport report)
    {
        try
        {
            await UsageLedger.RecordAsync(store, runtime, [report], adapter.Actor, clock.GetUtcNow(), CancellationToken.None);
        }
        catch (Exception e)
        {
            // The caller still gets the provider's answer; the open hold keeps the budget safe until it expires.
            // A durable local buffer for this case is issue #5.
            log.LogError(e, "Could not record request {RequestId} for key {KeyId}", report.RequestId, report.KeyId);
        }
    }

    private static async Task<IReadOnlyList<CandidateModel>> CandidatesAsync(IQuerySession session, IReadOnlyList<ModelDefinition> models, DateTimeOffset now, CancellationToken ct)
    {
        var providers = (await session.LoadManyAsync<Provider>(ct, models.SelectMany(m => m.Routes()).Select(d => d.Provider).Distinct()))
            .ToDictionary(p => p.Id);
        return models
            .Where(m => m.PriceAt(now) is not null)
            .Select(m => new CandidateModel(m, m.PriceAt(now)!, m.Routes()
                .Where(d => providers.ContainsKey(d.Provider))
                .Select(d => new ProviderRoute(d, providers[d.Provider]))
                .ToList()))
            .ToList();
    }
}
