namespace Governance.Domain.Catalog;

/// <summary>
/// One upstream that can serve a model: a provider and the model's name there, with a share of the traffic.
/// <see cref="Id"/> (<c>provider/upstream-model</c>) names it in the request log. Weight 0 is a standby: tried only
/// after every weighted deployment of the model.
/// </summary>
public sealed record Deployment(string Id, string Provider, string UpstreamModel, int Weight)
{
    public const int MaxWeight = 1_000;

    /// <summary>The operator's price for this deployment, if it differs from the model's (null in events recorded before).</summary>
    public DeploymentPrice? Price { get; init; }

    public static Deployment Of(string provider, string upstreamModel, int weight) => new($"{provider}/{upstreamModel}", provider, upstreamModel, weight);
}

/// <summary>Replaces the model's deployments (at least one). Load is spread by weight; a failing one is retried on the next.</summary>
public sealed record ModelDeploymentsSet(string Model, IReadOnlyList<Deployment> Deployments, string SetBy, DateTimeOffset SetAt);

/// <summary>Replaces the models tried, in order, when every deployment of <see cref="Model"/> failed. Empty removes them.</summary>
public sealed record ModelFallbacksSet(string Model, IReadOnlyList<string> Fallbacks, string SetBy, DateTimeOffset SetAt);

/// <summary>Pure rules for routing changes.</summary>
public static class RoutingRules
{
    public const int MaxDeployments = 16;
    public const int MaxFallbacks = 8;

    /// <summary>
    /// The cycle that giving <paramref name="model"/> the fallbacks <paramref name="fallbacks"/> would close, as a path
    /// that starts and ends at <paramref name="model"/> (<c>a → b → a</c>), or null when there is none. Fallbacks are
    /// followed transitively, so a cycle through any depth counts.
    /// </summary>
    public static IReadOnlyList<string>? CycleThrough(string model, IReadOnlyList<string> fallbacks, Func<string, IReadOnlyList<string>> fallbacksOf)
    {
        var done = new HashSet<string>();
        foreach (var first in fallbacks)
            if (Walk(first, [model]) is { } cycle)
                return cycle;
        return null;

        List<string>? Walk(string current, List<string> path)
        {
            if (current == model)
                return [.. path, current];
            if (!done.Add(current))
                return null;
            foreach (var next in fallbacksOf(current))
                if (Walk(next, [.. path, current]) is { } cycle)
                    return cycle;
            return null;
        }
    }

    /// <summary>
    /// The models a call to <paramref name="model"/> may reach, in the order they are tried: the model, then its fallbacks
    /// depth-first, each at most once. Bounded by <paramref name="limit"/>, so a cycle written concurrently cannot loop.
    /// </summary>
    public static IReadOnlyList<string> Chain(string model, Func<string, IReadOnlyList<string>> fallbacksOf, int limit = 1 + MaxFallbacks)
    {
        var chain = new List<string>();
        Visit(model);
        return chain;

        void Visit(string current)
        {
            if (chain.Count >= limit || chain.Contains(current))
                return;
            chain.Add(current);
            foreach (var next in fallbacksOf(current))
                Visit(next);
        }
    }
}
