using System.Globalization;
using Governance.Domain.Catalog;

namespace ProxyAdapter.Routing;

/// <summary>
/// One routing strategy: how it orders a pool of routes, and the words the request log gets for why a route came first.
/// Every ranker starts from the weighted random order and sorts it stably by its measure, so equals keep a weighted
/// spread; standbys (weight 0) stay last, in listed order.
/// </summary>
public abstract class Ranker
{
    public abstract string Name { get; }

    public IReadOnlyList<PlannedRoute> Order(IReadOnlyList<PlannedRoute> pool, RouteRandom random)
    {
        var spread = RoutePlanner.WeightedOrder(pool, r => r.Deployment.Weight, random);
        var active = spread.Where(r => r.Deployment.Weight > 0).ToList();
        return [.. Rank(active), .. spread.Where(r => r.Deployment.Weight <= 0)];
    }

    /// <summary>The active (weighted) routes of a pool in this strategy's order; <see cref="Enumerable.OrderBy{TSource,TKey}(IEnumerable{TSource},Func{TSource,TKey})"/> is stable.</summary>
    protected abstract IEnumerable<PlannedRoute> Rank(IReadOnlyList<PlannedRoute> active);

    public abstract string Why(PlannedRoute first, IReadOnlyList<PlannedRoute> pool);

    protected static string Usd(decimal value) => "$" + value.ToString("0.##########", CultureInfo.InvariantCulture);
}

public static class Rankers
{
    /// <summary>The ranker of a strategy; an unknown one (an event from a newer API) is ranked as weighted.</summary>
    public static Ranker For(string? strategy, RouteSignals? signals) => strategy switch
    {
        RoutingStrategies.CostBased => new CostBased(),
        RoutingStrategies.LatencyBased when signals is not null => new LatencyBased(signals),
        RoutingStrategies.LeastBusy when signals is not null => new LeastBusy(signals),
        RoutingStrategies.UsageBased when signals is not null => new UsageBased(signals),
        _ => new Weighted(),
    };

    private sealed class Weighted : Ranker
    {
        public override string Name => RoutingStrategies.Weighted;

        protected override IEnumerable<PlannedRoute> Rank(IReadOnlyList<PlannedRoute> active) => active;

        public override string Why(PlannedRoute first, IReadOnlyList<PlannedRoute> pool) => first.Deployment.Weight > 0
            ? $"weighted random: weight {first.Deployment.Weight} of {pool.Sum(r => (long)Math.Max(r.Deployment.Weight, 0))}"
            : "standby: every weighted deployment is cooling down or unreachable";
    }

    private sealed class CostBased : Ranker
    {
        public override string Name => RoutingStrategies.CostBased;

        /// <summary>USD per 1M input plus 1M output tokens: the deployment's own price where set, else its model's.</summary>
        public static (decimal Input, decimal Output, bool Own) Price(PlannedRoute route) => route.Deployment.Price is { } own
            ? (own.InputPer1M, own.OutputPer1M, true)
            : (route.Model.Price.InputPer1M, route.Model.Price.OutputPer1M, false);

        protected override IEnumerable<PlannedRoute> Rank(IReadOnlyList<PlannedRoute> active) =>
            active.OrderBy(r => Price(r) is var p ? p.Input + p.Output : 0m);

        public override string Why(PlannedRoute first, IReadOnlyList<PlannedRoute> pool)
        {
            var (input, output, own) = Price(first);
            return $"cheapest of {pool.Count}: {Usd(input)} in + {Usd(output)} out per 1M ({(own ? "deployment price" : $"{first.Model.Definition.Id}'s price")})";
        }
    }

    private sealed class LatencyBased(RouteSignals signals) : Ranker
    {
        public override string Name => RoutingStrategies.LatencyBased;

        // Not yet timed on this adapter first: one call measures it.
        protected override IEnumerable<PlannedRoute> Rank(IReadOnlyList<PlannedRoute> active) =>
            active.OrderBy(r => signals.TimeToFirstByteMs(r.Deployment.Id) ?? -1);

        public override string Why(PlannedRoute first, IReadOnlyList<PlannedRoute> pool) =>
            signals.TimeToFirstByteMs(first.Deployment.Id) is { } ms
                ? $"fastest to first byte of {pool.Count}: EWMA {ms.ToString("0.#", CultureInfo.InvariantCulture)} ms on this adapter"
                : "not yet timed on this adapter: this call measures it";
    }

    private sealed class LeastBusy(RouteSignals signals) : Ranker
    {
        public override string Name => RoutingStrategies.LeastBusy;

        protected override IEnumerable<PlannedRoute> Rank(IReadOnlyList<PlannedRoute> active) =>
            active.OrderBy(r => signals.InFlight(r.Deployment.Id));

        public override string Why(PlannedRoute first, IReadOnlyList<PlannedRoute> pool) =>
            $"fewest calls in flight on this adapter: {signals.InFlight(first.Deployment.Id)} (of {pool.Count} deployments)";
    }

    private sealed class UsageBased(RouteSignals signals) : Ranker
    {
        public override string Name => RoutingStrategies.UsageBased;

        protected override IEnumerable<PlannedRoute> Rank(IReadOnlyList<PlannedRoute> active) =>
            active.OrderByDescending(r => signals.HeadroomOf(r.Provider.Id).Fraction);

        public override string Why(PlannedRoute first, IReadOnlyList<PlannedRoute> pool)
        {
            var headroom = signals.HeadroomOf(first.Provider.Id);
            return headroom.Source switch
            {
                HeadroomSource.Headers => $"most rate-limit headroom: {(headroom.Fraction * 100).ToString("0.#", CultureInfo.InvariantCulture)} % of {first.Provider.Id}'s limit left",
                HeadroomSource.Reset => $"{first.Provider.Id}'s rate limit has reset",
                HeadroomSource.BackingOff => $"every account is backing off after 429s; {first.Provider.Id} first",
                _ => $"no rate-limit reading for {first.Provider.Id} yet: assumed its whole limit",
            };
        }
    }
}
