using System.Collections.Concurrent;
using Governance.Domain.Catalog;
using Governance.Domain.Usage;

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

/// <summary>The routes to try, in order, and which strategy put the first one first and why (null when there is none).</summary>
public sealed record RoutePlan(IReadOnlyList<PlannedRoute> Routes, RoutingChoice? Choice);

public static class RoutePlanner
{
    /// <summary>
    /// The upstream calls to try, in order, at most <paramref name="maxAttempts"/>, with the weighted strategy (a plain
    /// model's routing); see <see cref="PlanWith"/>.
    /// </summary>
    public static IReadOnlyList<PlannedRoute> Plan(
        IReadOnlyList<CandidateModel> models, Func<string, bool> reaches, DeploymentHealth health, RouteRandom random, int maxAttempts) =>
        PlanWith(models, 1, RoutingStrategies.Weighted, reaches, health, null, random, maxAttempts).Routes;

    /// <summary>
    /// The upstream calls to try, in order, at most <paramref name="maxAttempts"/>. The first <paramref name="primary"/>
    /// models (the requested model, or a group's members) are one pool; each model after them (fallbacks, depth-first) is a
    /// pool of its own, tried after the ones before. Within a pool, deployments whose provider kind the API
    /// <paramref name="reaches"/> are ordered by <paramref name="strategy"/>, standbys (weight 0) last in listed order.
    /// Health comes first: deployments cooling down go after every healthy one, whatever the strategy ranked them.
    /// </summary>
    public static RoutePlan PlanWith(
        IReadOnlyList<CandidateModel> models, int primary, string strategy, Func<string, bool> reaches, DeploymentHealth health,
        RouteSignals? signals, RouteRandom random, int maxAttempts)
    {
        var pools = new List<IReadOnlyList<PlannedRoute>> { Routes(models.Take(Math.Max(primary, 1))) };
        pools.AddRange(models.Skip(Math.Max(primary, 1)).Select(m => Routes([m])));
        var ranker = Rankers.For(strategy, signals);
        var routes = pools.SelectMany(pool => ranker.Order(pool, random))
            .Select(r => (Route: r, Cooling: health.IsCooling(r.Deployment.Id)))
            .ToList();
        var ordered = routes.Where(r => !r.Cooling).Concat(routes.Where(r => r.Cooling)).Select(r => r.Route).Take(maxAttempts).ToList();
        if (ordered.Count == 0)
            return new RoutePlan(ordered, null);
        var first = ordered[0];
        var reason = ranker.Why(first, pools[0]);
        if (routes[0].Route != first)
            reason = $"{routes[0].Route.Deployment.Id} is cooling down; {reason}";
        else if (health.IsCooling(first.Deployment.Id))
            reason = $"every deployment is cooling down; {reason}";
        if (reason.Length > RoutingChoice.MaxReasonLength)
            reason = reason[..(RoutingChoice.MaxReasonLength - 1)] + "…";
        return new RoutePlan(ordered, new RoutingChoice(ranker.Name, first.Deployment.Id, reason));

        List<PlannedRoute> Routes(IEnumerable<CandidateModel> pool) => pool
            .SelectMany(m => m.Routes.Where(r => reaches(r.Provider.Kind)).Select(r => new PlannedRoute(m, r.Deployment, r.Provider)))
            .ToList();
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
