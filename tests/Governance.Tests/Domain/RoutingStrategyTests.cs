using Governance.Domain.Catalog;
using Governance.Domain.Pricing;
using Microsoft.Extensions.Time.Testing;
using ProxyAdapter;
using ProxyAdapter.Routing;

namespace Governance.Tests.Domain;

/// <summary>
/// Where each routing strategy sends a call, from injected measurements and an injected clock (no timing): cost from
/// prices, latency from recorded times to first byte, load from calls in flight, headroom from rate-limit headers and 429s.
/// Health comes first under every strategy.
/// </summary>
public sealed class RoutingStrategyTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly GatewayOptions Options = new(5, TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(30), "2023-06-01");
    private readonly FakeTimeProvider _clock = new(At);
    private readonly DeploymentHealth _health;
    private readonly RouteSignals _signals;

    public RoutingStrategyTests() => (_health, _signals) = (new DeploymentHealth(_clock, Options), new RouteSignals(_clock));

    private static CandidateModel Model(string name, decimal input, decimal output, params Deployment[] deployments) => new(
        new ModelDefinition(name, deployments[0].Provider, deployments[0].UpstreamModel, [], At),
        new PriceVersion(1, input, output, null, At, "test"),
        deployments.Select(d => new ProviderRoute(d, new Provider(d.Provider, "openai", "http://x/v1", "", At))).ToList());

    private static Deployment D(string provider, string upstream = "up", int weight = 1, DeploymentPrice? price = null) =>
        Deployment.Of(provider, upstream, weight) with { Price = price };

    private RoutePlan Plan(string strategy, int primary, params CandidateModel[] models) =>
        RoutePlanner.PlanWith(models, primary, strategy, _ => true, _health, _signals, new RouteRandom(() => 0), 10);

    private static string[] Ids(RoutePlan plan) => plan.Routes.Select(r => r.Deployment.Id).ToArray();

    [Fact]
    public void cost_based_puts_the_cheapest_member_first_and_says_why()
    {
        var plan = Plan(RoutingStrategies.CostBased, 3,
            Model("large", 0.13m, 0m, D("a", "large")), Model("small", 0.02m, 0m, D("b", "small")), Model("ada", 0.10m, 0m, D("c", "ada")));

        Assert.Equal(["b/small", "c/ada", "a/large"], Ids(plan));
        Assert.Equal(new("cost-based", "b/small", "cheapest of 3: $0.02 in + $0 out per 1M (small's price)"), plan.Choice);
    }

    [Fact]
    public void cost_based_ranks_a_models_deployments_by_their_own_price_where_the_operator_set_one()
    {
        var plan = Plan(RoutingStrategies.CostBased, 1,
            Model("gpt", 2.5m, 10m, D("list-price"), D("negotiated", price: new DeploymentPrice(2m, 8m)), D("other-region", price: new DeploymentPrice(2.5m, 9m))));

        Assert.Equal(["negotiated/up", "other-region/up", "list-price/up"], Ids(plan));
        Assert.Contains("$2 in + $8 out per 1M (deployment price)", plan.Choice!.Reason);
    }

    [Fact]
    public void the_cheapest_deployment_cooling_down_goes_last_and_the_cheapest_healthy_one_is_chosen()
    {
        var models = new[] { Model("cheap", 0.02m, 0m, D("a", "cheap")), Model("dear", 0.13m, 0m, D("b", "dear")), Model("mid", 0.10m, 0m, D("c", "mid")) };
        _health.Failed("a/cheap");

        var plan = Plan(RoutingStrategies.CostBased, 3, models);

        Assert.Equal(["c/mid", "b/dear", "a/cheap"], Ids(plan));
        Assert.Equal("c/mid", plan.Choice!.Chosen);
        Assert.StartsWith("a/cheap is cooling down; cheapest", plan.Choice.Reason);
    }

    [Fact]
    public void latency_based_tries_an_untimed_deployment_once_then_prefers_the_lowest_moving_average()
    {
        var model = Model("m", 1m, 1m, D("fast"), D("slow"), D("new"));
        _signals.FirstByte("fast/up", TimeSpan.FromMilliseconds(40));
        _signals.FirstByte("slow/up", TimeSpan.FromMilliseconds(400));

        Assert.Equal(["new/up", "fast/up", "slow/up"], Ids(Plan(RoutingStrategies.LatencyBased, 1, model)));

        _signals.FirstByte("new/up", TimeSpan.FromMilliseconds(100));
        var plan = Plan(RoutingStrategies.LatencyBased, 1, model);
        Assert.Equal(["fast/up", "new/up", "slow/up"], Ids(plan));
        Assert.Equal("fastest to first byte of 3: EWMA 40 ms on this adapter", plan.Choice!.Reason);

        // fast turns slow: 0.3 × 1000 + 0.7 × 40 = 328 ms, now above new's 100 ms but below slow's 400 ms.
        _signals.FirstByte("fast/up", TimeSpan.FromMilliseconds(1000));
        Assert.Equal(328, _signals.TimeToFirstByteMs("fast/up")!.Value, 6);
        Assert.Equal(["new/up", "fast/up", "slow/up"], Ids(Plan(RoutingStrategies.LatencyBased, 1, model)));
    }

    [Fact]
    public void least_busy_sends_the_call_where_fewest_are_in_flight_on_this_adapter()
    {
        var model = Model("m", 1m, 1m, D("a"), D("b"), D("c"));
        _signals.Started("a/up");
        _signals.Started("a/up");
        _signals.Started("b/up");
        _signals.Started("c/up");
        _signals.Started("c/up");
        _signals.Started("c/up");

        var plan = Plan(RoutingStrategies.LeastBusy, 1, model);
        Assert.Equal(["b/up", "a/up", "c/up"], Ids(plan));
        Assert.Equal("fewest calls in flight on this adapter: 1 (of 3 deployments)", plan.Choice!.Reason);

        _signals.Ended("a/up");
        _signals.Ended("a/up");
        Assert.Equal(["a/up", "b/up", "c/up"], Ids(Plan(RoutingStrategies.LeastBusy, 1, model)));
    }

    [Fact]
    public void usage_based_spreads_by_the_headroom_openai_and_anthropic_headers_report_until_they_reset()
    {
        var model = Model("m", 1m, 1m, D("openai-1"), D("openai-2"), D("claude"));
        var openAi1 = RateLimitHeaders.Read(Headers(("x-ratelimit-limit-requests", "500"), ("x-ratelimit-remaining-requests", "50"),
            ("x-ratelimit-reset-requests", "6m0s"), ("x-ratelimit-limit-tokens", "30000"), ("x-ratelimit-remaining-tokens", "27000")), At)!;
        var openAi2 = RateLimitHeaders.Read(Headers(("x-ratelimit-limit-requests", "500"), ("x-ratelimit-remaining-requests", "400"),
            ("x-ratelimit-limit-tokens", "30000"), ("x-ratelimit-remaining-tokens", "3000"), ("x-ratelimit-reset-tokens", "1.5s")), At)!;
        var claude = RateLimitHeaders.Read(Headers(("anthropic-ratelimit-requests-limit", "50"), ("anthropic-ratelimit-requests-remaining", "30"),
            ("anthropic-ratelimit-requests-reset", "2026-01-01T00:01:00Z"), ("anthropic-ratelimit-input-tokens-limit", "40000"),
            ("anthropic-ratelimit-input-tokens-remaining", "36000")), At)!;

        // The tightest dimension counts: 10 % of requests; 10 % of tokens, resetting in 1.5 s; 60 % of requests.
        Assert.Equal(new RateLimitReading(0.1, At.AddMinutes(6)), openAi1);
        Assert.Equal(new RateLimitReading(0.1, At.AddSeconds(1.5)), openAi2);
        Assert.Equal(new RateLimitReading(0.6, At.AddMinutes(1)), claude);
        _signals.Observed("openai-1", openAi1);
        _signals.Observed("openai-2", openAi2);
        _signals.Observed("claude", claude);

        var plan = Plan(RoutingStrategies.UsageBased, 1, model);
        Assert.Equal("claude/up", Ids(plan)[0]);
        Assert.Equal("most rate-limit headroom: 60 % of claude's limit left", plan.Choice!.Reason);

        // openai-2's token window resets: its whole limit is back.
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(["openai-2/up", "claude/up", "openai-1/up"], Ids(Plan(RoutingStrategies.UsageBased, 1, model)));
    }

    [Fact]
    public void usage_based_backs_off_an_account_that_answered_429_doubling_until_an_answer_ends_the_run()
    {
        var model = Model("m", 1m, 1m, D("a"), D("b"));
        _signals.Observed("b", new RateLimitReading(0.5, null));
        string First() => Ids(Plan(RoutingStrategies.UsageBased, 1, model))[0];

        Assert.Equal("a/up", First());
        _signals.RateLimited("a", null);
        Assert.Equal("b/up", First());
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("a/up", First());

        // A second 429 in a row: 2 s.
        _signals.RateLimited("a", null);
        _clock.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Equal("b/up", First());
        _clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal("a/up", First());

        // The provider's Retry-After wins over the doubling.
        _signals.RateLimited("a", TimeSpan.FromSeconds(30));
        _clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal("b/up", First());
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("a/up", First());

        // An answer ends the run: the next 429 backs off 1 s again.
        _signals.Answered("a");
        _signals.RateLimited("a", null);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("a/up", First());
    }

    [Fact]
    public void the_group_is_one_pool_and_fallbacks_come_after_it_each_ranked_alike()
    {
        var plan = Plan(RoutingStrategies.CostBased, 2,
            Model("dear", 5m, 5m, D("a", "dear")), Model("cheap", 1m, 1m, D("b", "cheap")),
            Model("fallback", 0.01m, 0.01m, D("x", "pricier", price: new DeploymentPrice(1m, 1m)), D("y", "cheapest")));

        // The fallback is cheaper than every member, yet tried only after them.
        Assert.Equal(["b/cheap", "a/dear", "y/cheapest", "x/pricier"], Ids(plan));
    }

    [Fact]
    public void standbys_stay_last_whatever_the_strategy()
    {
        var model = Model("m", 1m, 1m, D("standby", weight: 0, price: new DeploymentPrice(0m, 0m)), D("a", price: new DeploymentPrice(3m, 3m)), D("b"));

        Assert.Equal(["b/up", "a/up", "standby/up"], Ids(Plan(RoutingStrategies.CostBased, 1, model)));
    }

    [Theory]
    [InlineData("6m0s", 360_000d)]
    [InlineData("1.5s", 1_500d)]
    [InlineData("20ms", 20d)]
    [InlineData("1h2m3s", 3_723_000d)]
    [InlineData("", null)]
    [InlineData("5", null)]
    [InlineData("-1s", null)]
    [InlineData("1e3s", null)]
    [InlineData("25h", null)]
    public void openai_reset_durations_are_read_strictly(string value, double? ms) =>
        Assert.Equal(ms, RateLimitHeaders.Duration(value)?.TotalMilliseconds);

    [Fact]
    public void headers_that_are_not_plain_numbers_are_ignored()
    {
        Assert.Null(RateLimitHeaders.Read(Headers(("x-ratelimit-limit-requests", "1e3"), ("x-ratelimit-remaining-requests", "5")), At));
        Assert.Null(RateLimitHeaders.Read(Headers(("x-ratelimit-limit-requests", "0"), ("x-ratelimit-remaining-requests", "0")), At));
        Assert.Null(RateLimitHeaders.Read(Headers(("x-ratelimit-limit-requests", "100"), ("x-ratelimit-remaining-requests", "-5")), At));
        Assert.Equal(1.0, RateLimitHeaders.Read(Headers(("x-ratelimit-limit-requests", "100"), ("x-ratelimit-remaining-requests", "150")), At)!.Fraction);
    }

    [Fact]
    public void an_unknown_strategy_from_a_newer_api_routes_weighted()
    {
        var plan = Plan("round-robin", 1, Model("m", 1m, 1m, D("a", weight: 3), D("b")));

        Assert.Equal(new("weighted", "a/up", "weighted random: weight 3 of 4"), plan.Choice);
    }

    private static Func<string, string?> Headers(params (string Name, string Value)[] headers) =>
        name => headers.Where(h => h.Name == name).Select(h => h.Value).FirstOrDefault();
}
