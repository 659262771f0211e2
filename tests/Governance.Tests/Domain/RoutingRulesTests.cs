using Governance.Domain.Catalog;

namespace Governance.Tests.Domain;

public sealed class RoutingRulesTests
{
    private static Func<string, IReadOnlyList<string>> Graph(params (string From, string[] To)[] edges) =>
        model => edges.FirstOrDefault(e => e.From == model).To ?? [];

    [Fact]
    public void a_fallback_back_to_the_model_is_a_cycle()
    {
        Assert.Equal(["a", "b", "a"], RoutingRules.CycleThrough("a", ["b"], Graph(("b", ["a"]))));
    }

    [Fact]
    public void a_cycle_is_found_at_any_depth_and_reported_as_its_path()
    {
        var graph = Graph(("b", ["x", "c"]), ("c", ["d"]), ("d", ["a"]), ("x", []));

        Assert.Equal(["a", "b", "c", "d", "a"], RoutingRules.CycleThrough("a", ["b"], graph));
    }

    [Fact]
    public void shared_fallbacks_and_cycles_that_do_not_reach_the_model_are_fine()
    {
        // b and c both fall back to d; d and e loop on each other, but never back to a.
        var graph = Graph(("b", ["d"]), ("c", ["d"]), ("d", ["e"]), ("e", ["d"]));

        Assert.Null(RoutingRules.CycleThrough("a", ["b", "c"], graph));
    }

    [Fact]
    public void the_chain_is_the_model_then_its_fallbacks_depth_first_each_once()
    {
        var graph = Graph(("a", ["b", "c"]), ("b", ["d", "c"]), ("c", ["d"]));

        Assert.Equal(["a", "b", "d", "c"], RoutingRules.Chain("a", graph));
    }

    [Fact]
    public void a_cycle_written_concurrently_cannot_make_the_chain_loop()
    {
        var graph = Graph(("a", ["b"]), ("b", ["a"]));

        Assert.Equal(["a", "b"], RoutingRules.Chain("a", graph));
        Assert.Equal(3, RoutingRules.Chain("m0", m => [$"m{int.Parse(m[1..]) + 1}"], limit: 3).Count);
    }

    [Fact]
    public void a_model_registered_with_one_route_has_it_as_its_only_deployment_until_deployments_are_set()
    {
        var at = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var model = ModelDefinition.Evolve(null, new ModelRegistered("m", "p", "up", "alice", at))!;

        Assert.Equal([Deployment.Of("p", "up", 1)], model.Routes());

        model = ModelDefinition.Evolve(model, new ModelDeploymentsSet("m", [Deployment.Of("q", "up2", 2), Deployment.Of("p", "up", 0)], "alice", at))!;
        Assert.Equal(["q/up2", "p/up"], model.Routes().Select(d => d.Id));
        Assert.Equal("q", model.Provider);
        Assert.Equal("up2", model.UpstreamModel);
        Assert.Equal(at, model.RegisteredAt);
    }
}
