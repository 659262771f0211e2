using System.Collections.Concurrent;
using Governance.Domain.Catalog;

namespace ProxyAdapter.Routing;

/// <summary>The random numbers routing draws, in [0, 1). Injected so tests can make load balancing deterministic.</summary>
public sealed class RouteRandom(Func<double> next)
{
    public static readonly RouteRandom Shared = new(Random.Shared.NextDouble);

    public double Next() => next();
}

/// <summary>One upstream call a request may make: a deployment of a model the call may be served by.</summary>
public sealed record PlannedRoute(CandidateModel Model, Deployment Deployment, Provider Provider);

/// <summary>
/// Which deployments failed recently. In memory on each proxy node: a deployment failing on one node is still tried by
/// the others until they see it fail too. Only <see cref="GatewayOptions.Cooldown"/> long, so no shared state is worth it.
/// </summary>
public sealed class DeploymentHealth(TimeProvider clock, GatewayOptions options)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _coolingUntil = new();

    public bool IsCooling(string deployment) => _coolingUntil.TryGetValue(deployment, out var until) && until > clock.GetUtcNow();

    public void Failed(string deployment) => _coolingUntil[deployment] = clock.GetUtcNow() + options.Cooldown;

    public void Succeeded(string deployment) => _coolingUntil.TryRemove(deployment, out _);
}

public static class RoutePlanner
{
    /// <summary>
    /// The upstream calls to try, in order, at most <paramref name="maxAttempts"/>: each model (requested one first, then its
    /// fallbacks) contributes its deployments whose provider kind the API <paramref name="reaches"/>, in weighted random
    /// order. Deployments cooling down go last: they are tried only when everything healthy failed too.
    /// </summary>
    public static IReadOnlyList<PlannedRoute> Plan(
        IReadOnlyList<CandidateModel> models, Func<string, bool> reaches, DeploymentHealth health, RouteRandom random, int maxAttempts)
    {
        var routes = models.SelectMany(m => WeightedOrder(
                m.Routes.Where(r => reaches(r.Provider.Kind)).ToList(), r => r.Deployment.Weight, random)
            .Select(r => new PlannedRoute(m, r.Deployment, r.Provider)))
            .Select(r => (Route: r, Cooling: health.IsCooling(r.Deployment.Id)))
            .ToList();
        return routes.Where(r => !r.Cooling).Concat(routes.Where(r => r.Cooling)).Select(r => r.Route).Take(maxAttempts).ToList();
    }

    /// <summary>
    /// Weighted sampling without replacement: the first item is picked with probability weight / total, the next among
    /// the rest alike, and so on. Weight 0 (standby) comes after, in listed order.
    /// </summary>
    public static IReadOnlyList<T> WeightedOrder<T>(IReadOnlyList<T> items, Func<T, int> weight, RouteRandom random)
    {
        var pool = items.Where(i => weight(i) > 0).ToList();
        var order = new List<T>(items.Count);
        while (pool.Count > 0)
        {
            var pick = random.Next() * pool.Sum(i => (long)weight(i));
            var index = 0;
            for (long seen = 0; index < pool.Count - 1; index++)
            {
                seen += weight(pool[index]);
                if (pick < seen)
                    break;
            }
            order.Add(pool[index]);
            pool.RemoveAt(index);
        }
        order.AddRange(items.Where(i => weight(i) <= 0));
        return order;
    }
}
