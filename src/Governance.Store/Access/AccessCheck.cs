using Governance.Domain.Access;
using Governance.Domain.Approvals;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;
using Marten;

namespace Governance.Store.Access;

/// <summary>An allow/deny with what it was decided on: the model, and the grant that admits a restricted model.</summary>
public sealed record AccessCheckResult(AccessDecision Decision, ModelDefinition? Model, AccessRequest? Grant);

/// <summary>Loads what an allow/deny needs from the inline projections and asks the pure domain decision.</summary>
public static class AccessCheck
{
    public static async Task<AccessCheckResult> DecideAsync(
        this IQuerySession session, string presentedKey, string model, DateTimeOffset now, CancellationToken ct)
    {
        var keyId = KeyFormat.TryGetKeyId(presentedKey);
        var key = keyId is null ? null : await session.LoadAsync<VirtualKey>(keyId, ct);
        var definition = key is null ? null : await session.LoadAsync<ModelDefinition>(model, ct);
        var decision = AccessDecision.Decide(presentedKey, key, model, definition, now);
        var grant = decision.NeedsGrant(definition) ? await ActiveGrantAsync(session, key!.Id, key.App, model, now, ct) : null;
        return new AccessCheckResult(decision.WithGrant(definition, grant), definition, grant);
    }

    public static async Task<AccessRequest?> ActiveGrantAsync(IQuerySession session, string keyId, string app, string model, DateTimeOffset now, CancellationToken ct)
    {
        var granted = await session.Query<AccessRequest>()
            .Where(r => r.Model == model && r.Status == AccessStatus.Granted && r.App == app)
            .ToListAsync(ct);
        return AccessRequest.ActiveGrant(granted, keyId, app, model, now);
    }
}
