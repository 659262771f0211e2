using Governance.Domain.Catalog;
using Governance.Domain.Pricing;
using Microsoft.Extensions.Time.Testing;
using ProxyAdapter;
using ProxyAdapter.Routing;

namespace Governance.Tests.Domain;

public sealed class RoutePlannerTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly GatewayOptions Options = new(3, TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(30), "2023-06-01");

    private static CandidateModel Model(string name, params (string Provider, string Kind, int Weight)[] deployments) => new(
        new ModelDefinition(name, deployments[0].Provider, "up", [], At),
        new PriceVersion(1, 1m, 1m, 1m, At, "test"),
        deployments.Select(d => new ProviderRoute(Deployment.Of(d.Provider, "up", d.Weight), new Provider(d.Provider, d.Kind, "http://x/v1", "", At))).ToList());

    [Fact]
    public void weighted_order_picks_first_in_proportion_to_weight()
    {
        var random = new Random(20261102);
        var source = new RouteRandom(random.NextDouble);
        var firsts = new Dictionary<string, int> { ["a"] = 0, ["b"] = 0, ["c"] = 0 };
        var weights = new Dictionary<string, int> { ["a"] = 6, ["b"] = 3, ["c"] = 1 };

        for (var i = 0; i < 10_000; i++)
            firsts[RoutePlanner.WeightedOrder(["a", "b", "c"], w => weights[w], source)[0]]++;

        // Deterministic (seeded): 60 % / 30 % / 10 % within a percentage point.
        Assert.InRange(firsts["a"], 5_900, 6_100);
        Assert.InRange(firsts["b"], 2_900, 3_100);
        Assert.InRange(firsts["c"], 900, 1_100);
    }

    [Fact]
    public void every_deployment_appears_once_and_standbys_come_last_in_listed_order()
    {
        var source = new RouteRandom(new Random(7).NextDouble);
        string[] items = ["standby-1", "a", "standby-2", "b"];
        var weights = new Dictionary<string, int> { ["standby-1"] = 0, ["a"] = 1, ["standby-2"] = 0, ["b"] = 5 };

        for (var i = 0; i < 100; i++)
        {
            var order = RoutePlanner.WeightedOrder(items, w => weights[w], source);
            Assert.Equal(["a", "b"], order.Take(2).Order());
            Assert.Equal(["standby-1", "standby-2"], order.Skip(2));
        }
    }

    [Fact]
    public void the_random_source_decides_the_order()
    {
        string[] items = ["a", "b"];
        Assert.Equal(["a", "b"], RoutePlanner.WeightedOrder(items, _ => 1, new RouteRandom(() => 0.49)));
        Assert.Equal(["b", "a"], RoutePlanner.WeightedOrder(items, _ => 1, new RouteRandom(() => 0.5)));
    }

    [Fact]
    public void the_plan_tries_the_model_then_its_fallbacks_skips_other_apis_and_stops_at_the_budget()
    {
        var health = new DeploymentHealth(new FakeTimeProvider(At), Options);
        var models = new[]
        {
            Model("primary", ("p1", "openai", 1), ("claude", "anthropic", 1)),
            Model("fallback-1", ("p2", "openai-compatible", 1)),
            Model("fallback-2", ("p3", "openai", 1), ("p4", "openai", 0)),
        };

        var plan = RoutePlanner.Plan(models, SpeaksOpenAi, health, new RouteRandom(() => 0), maxAttempts: 3);

        Assert.Equal(["p1/up", "p2/up", "p3/up"], plan.Select(r => r.Deployment.Id));
        Assert.Equal(["primary", "fallback-1", "fallback-2"], plan.Select(r => r.Model.Definition.Id));
    }

    [Fact]
    public void a_cooling_deployment_goes_last_until_its_cooldown_is_over()
    {
        var clock = new FakeTimeProvider(At);
        var health = new DeploymentHealth(clock, Options);
        var models = new[] { Model("primary", ("p1", "openai", 1), ("p2", "openai", 0)), Model("fallback", ("p3", "openai", 1)) };
        string[] Plan() => RoutePlanner.Plan(models, SpeaksOpenAi, health, new RouteRandom(() => 0), 5).Select(r => r.Deployment.Id).ToArray();

        health.Failed("p1/up");
        Assert.Equal(["p2/up", "p3/up", "p1/up"], Plan());

        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(["p1/up", "p2/up", "p3/up"], Plan());

        health.Failed("p1/up");
        health.Succeeded("p1/up");
        Assert.Equal(["p1/up", "p2/up", "p3/up"], Plan());
    }

    private static bool SpeaksOpenAi(string kind) => ProviderKinds.FamilyOf(kind) == ApiFamily.OpenAi;
}

