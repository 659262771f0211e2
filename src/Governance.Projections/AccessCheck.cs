using Governance.Domain.Access;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;
using Marten;

namespace Governance.Projections;

/// <summary>Loads what an allow/deny needs from the inline projections and asks the pure domain decision.</summary>
public static class AccessCheck
{
    public static async Task<(AccessDecision Decision, ModelDefinition? Model)> DecideAsync(
        this IQuerySession session, string presentedKey, string model, DateTimeOffset now, CancellationToken ct)
    {
        var keyId = KeyFormat.TryGetKeyId(presentedKey);
        var key = keyId is null ? null : await session.LoadAsync<VirtualKey>(keyId, ct);
        var definition = key is null ? null : await session.LoadAsync<ModelDefinition>(model, ct);
        return (AccessDecision.Decide(presentedKey, key, model, definition, now), definition);
    }
}
