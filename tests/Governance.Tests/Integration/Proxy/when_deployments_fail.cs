using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;
using OpenAI.Chat;

namespace Governance.Tests.Integration.Proxy;

/// <summary>
/// Failover: the next deployment, then fallback models, within the retry budget (3 attempts by default); failing
/// deployments cool down (30 s by default); nothing is retried once a streamed byte reached the client.
/// A standby deployment (weight 0) makes the order deterministic: it is tried after the weighted ones.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_deployments_fail(GovernanceFixture fx, FakeProvider provider) : IClassFixture<FakeProvider>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private ChatClient Sdk(string model, string virtualKey) => new(model, new ApiKeyCredential(virtualKey), new OpenAIClientOptions
    {
        Endpoint = new Uri("http://proxy.test/v1"),
        Transport = new HttpClientPipelineTransport(fx.ProxyClient()),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });

    private async Task<HttpResponseMessage> Chat(string virtualKey, string model, bool stream = false) =>
        await fx.ProxyClient(virtualKey).PostAsync("/v1/chat/completions", Routing.JsonBody(Routing.ChatJson(model, "hi", stream)));

    [Fact]
    public async Task the_second_deployment_answers_when_the_first_fails_and_the_request_log_shows_both()
    {
        var (bad, good) = (await fx.Provider(provider.BaseUrl), await fx.Provider(provider.BaseUrl));
        var healthy = Api.Unique("gpt");
        var model = await fx.Model([new(bad, "fail-500"), new(good, healthy, 0)]);
        var key = await fx.IssueKey(Api.Unique("app"), model);

        var completion = (await Sdk(model, key.Key).CompleteChatAsync([new UserChatMessage("hi")])).Value;

        Assert.Equal(FakeProvider.AnswerText, completion.Content[0].Text);
        var page = await fx.Api.Get($"/api/requests?key={key.Id}").Json();
        var logged = Assert.Single(page.GetProperty("items").EnumerateArray().ToList());
        Assert.Equal(200, logged.GetProperty("status").GetInt32());
        Assert.Equal($"{good}/{healthy}", logged.GetProperty("deployment").GetString());
        Assert.Equal(good, logged.GetProperty("provider").GetString());
        var failed = Assert.Single(logged.GetProperty("failedAttempts").EnumerateArray().ToList());
        Assert.Equal($"{bad}/fail-500", failed.GetProperty("deployment").GetString());
        Assert.Equal(500, failed.GetProperty("status").GetInt32());
        Assert.Equal("server_error", failed.GetProperty("reason").GetString());
        Assert.Equal(model, failed.GetProperty("model").GetString());
    }

    [Fact]
    public async Task a_failed_deployment_cools_down_and_is_tried_again_once_the_cooldown_is_over()
    {
        var (bad, good) = (await fx.Provider(provider.BaseUrl), await fx.Provider(provider.BaseUrl));
        var model = await fx.Model([new(bad, "fail-500"), new(good, Api.Unique("gpt"), 0)]);
        var key = await fx.IssueKey(Api.Unique("app"), model);
        int FailingCalls() => provider.Requests.Count(r => r.Model == "fail-500" && r.Headers["authorization"].EndsWith(bad));

        await Chat(key.Key, model);
        Assert.Equal(1, FailingCalls());

        var cooled = await Chat(key.Key, model);
        Assert.Equal(200, (int)cooled.StatusCode);
        Assert.Equal(1, FailingCalls());
        Assert.Empty((await fx.Recorded(cooled.RequestId()))!.FailedAttempts);

        fx.Clock.Advance(TimeSpan.FromSeconds(31));
        await Chat(key.Key, model);
        Assert.Equal(2, FailingCalls());
    }

    [Fact]
    public async Task when_every_deployment_fails_the_client_gets_a_clean_502_in_openai_shape_and_pays_nothing()
    {
        var prov = await fx.Provider(provider.BaseUrl);
        var model = await fx.Model([new(prov, "fail-500"), new(await fx.Provider("http://127.0.0.1:9/v1"), "gpt-x", 0)]);
        var key = await fx.IssueKey(Api.Unique("app"), model);

        var response = await Chat(key.Key, model);

        Assert.Equal(502, (int)response.StatusCode);
        var error = (await response.Json()).GetProperty("error");
        Assert.Equal("api_error", error.GetProperty("type").GetString());
        Assert.Equal("upstream_failed", error.GetProperty("code").GetString());
        Assert.DoesNotContain("boom", error.GetProperty("message").GetString());
        var logged = (await fx.Recorded(response.RequestId()))!;
        Assert.Equal(502, logged.Status);
        Assert.Equal(0m, logged.Cost);
        Assert.Null(logged.Deployment);
        Assert.Equal(["server_error", "unreachable"], logged.FailedAttempts.Select(a => a.Reason));
    }

    [Fact]
    public async Task a_fallback_model_answers_when_the_requested_one_cannot_and_is_charged_at_its_own_price()
    {
        var prov = await fx.Provider(provider.BaseUrl);
        var primary = await fx.Model([new(prov, "fail-500")], inputPrice: 1m, outputPrice: 1m);
        var fallback = await fx.Model([new(prov, Api.Unique("gpt"))], inputPrice: 2m, outputPrice: 4m);
        await fx.Api.Put($"/api/models/{primary}/fallbacks", new { fallbacks = new[] { fallback } }, 200);
        var key = await fx.IssueKey(Api.Unique("app"), primary);

        var response = await Chat(key.Key, primary);

        Assert.Equal(200, (int)response.StatusCode);
        var logged = (await fx.Recorded(response.RequestId()))!;
        Assert.Equal(fallback, logged.Model);
        Assert.Equal(primary, logged.RequestedModel);
        Assert.Equal((logged.InputTokens * 2m + logged.OutputTokens * 4m) / 1_000_000m, logged.Cost);
        Assert.Equal(primary, Assert.Single(logged.FailedAttempts).Model);
    }

    [Fact]
    public async Task nothing_is_retried_once_streamed_bytes_reached_the_client()
    {
        var (broken, healthy) = (await fx.Provider(provider.Broken.BaseUrl), await fx.Provider(provider.BaseUrl));
        var (upstream, standby) = (Api.Unique("gpt"), Api.Unique("gpt"));
        var model = await fx.Model([new(broken, upstream), new(healthy, standby, 0)]);
        var key = await fx.IssueKey(Api.Unique("app"), model);

        var response = await fx.ProxyClient(key.Key).SendAsync(
            new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Routing.JsonBody(Routing.ChatJson(model, "hi", stream: true)) },
            HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var received = new List<string>();
        // The client's stream is cut too, not ended as if complete.
        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            while (await reader.ReadLineAsync().WaitAsync(Patience) is { } line)
                received.Add(line);
        });

        Assert.Equal(BrokenStreams.CompleteEvents, received.Count(l => l.StartsWith("data: ")));
        Assert.Equal(0, provider.CallsTo(standby));
        var logged = await fx.RecordedEventually(response.RequestId());
        Assert.Equal($"{broken}/{upstream}", logged.Deployment);
        Assert.Empty(logged.FailedAttempts);
        Assert.True(logged.Estimated);
        // Three chunks of 6 bytes of text: ⌈18/4⌉ = 5 tokens.
        Assert.Equal(5, logged.OutputTokens);
    }

    [Fact]
    public async Task a_stream_that_breaks_before_a_whole_event_reached_the_client_is_retried_on_the_next_deployment()
    {
        var (broken, healthy) = (await fx.Provider(provider.Broken.BaseUrl), await fx.Provider(provider.BaseUrl));
        var (upstream, standby) = (Api.Unique("break-early"), Api.Unique("gpt"));
        var model = await fx.Model([new(broken, upstream), new(healthy, standby, 0)]);
        var key = await fx.IssueKey(Api.Unique("app"), model);

        var response = await Chat(key.Key, model, stream: true);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        // Nothing of the broken stream reached the client: its answer is the standby's stream alone, complete.
        Assert.DoesNotContain("choi\n", body);
        Assert.Equal(string.Concat(FakeProvider.StreamedText), string.Concat(Routing.SseData(body).Where(d => d.Contains("content"))
            .Select(d => System.Text.Json.JsonDocument.Parse(d).RootElement.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString())));
        Assert.EndsWith("data: [DONE]\n\n", body);
        var logged = (await fx.Recorded(response.RequestId()))!;
        Assert.Equal($"{healthy}/{standby}", logged.Deployment);
        var failed = Assert.Single(logged.FailedAttempts);
        Assert.Equal("stream_broken", failed.Reason);
        Assert.Equal(200, failed.Status);
        Assert.False(logged.Estimated);
    }

    [Fact]
    public async Task a_deployment_that_does_not_answer_in_time_is_abandoned_for_the_next()
    {
        var prov = await fx.Provider(provider.BaseUrl);
        var (slow, standby) = (Api.Unique("hang"), Api.Unique("gpt"));
        var model = await fx.Model([new(prov, slow), new(prov, standby, 0)]);
        var key = await fx.IssueKey(Api.Unique("app"), model);

        var call = Chat(key.Key, model);
        await provider.Arrived(slow).WaitAsync(Patience);
        // The per-attempt deadline runs on the injected clock (Proxy:UpstreamTimeoutSeconds, 120 s by default).
        fx.Clock.Advance(TimeSpan.FromSeconds(121));
        var response = await call.WaitAsync(Patience);

        Assert.Equal(200, (int)response.StatusCode);
        var logged = (await fx.Recorded(response.RequestId()))!;
        Assert.Equal($"{prov}/{standby}", logged.Deployment);
        var failed = Assert.Single(logged.FailedAttempts);
        Assert.Equal("timeout", failed.Reason);
        Assert.Null(failed.Status);
    }

    [Fact]
    public async Task when_every_deployment_is_rate_limited_the_providers_429_is_passed_through_with_its_retry_after()
    {
        var (a, b) = (await fx.Provider(provider.BaseUrl), await fx.Provider(provider.BaseUrl));
        var model = await fx.Model([new(a, "fail-429"), new(b, "fail-429", 0)]);
        var key = await fx.IssueKey(Api.Unique("app"), model);

        var response = await Chat(key.Key, model);

        Assert.Equal(429, (int)response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
        Assert.Contains("slow down", await response.Content.ReadAsStringAsync());
        Assert.Equal(2, (await fx.Recorded(response.RequestId()))!.FailedAttempts.Count);
    }

    [Fact]
    public async Task the_retry_budget_bounds_the_attempts_of_one_request()
    {
        var providers = new List<string>();
        for (var i = 0; i < 5; i++)
            providers.Add(await fx.Provider(provider.BaseUrl));
        var model = await fx.Model(providers.Select(p => new Routing.Upstream(p, "fail-500")).ToArray());
        var key = await fx.IssueKey(Api.Unique("app"), model);
        var before = provider.CallsTo("fail-500");

        var response = await Chat(key.Key, model);

        Assert.Equal(502, (int)response.StatusCode);
        Assert.Equal(3, provider.CallsTo("fail-500") - before);
        Assert.Equal(3, (await fx.Recorded(response.RequestId()))!.FailedAttempts.Count);
    }

    [Fact]
    public async Task weighted_balancing_sends_traffic_to_every_weighted_deployment()
    {
        var prov = await fx.Provider(provider.BaseUrl);
        var (heavy, light) = (Api.Unique("gpt"), Api.Unique("gpt"));
        var model = await fx.Model([new(prov, heavy, 3), new(prov, light, 1)]);
        var key = await fx.IssueKey(Api.Unique("app"), model);

        for (var i = 0; i < 80; i++)
            Assert.Equal(200, (int)(await Chat(key.Key, model)).StatusCode);

        // Expected 60 / 20. The exact split is the job of RoutePlannerTests (seeded random source); this one proves the
        // proxy really spreads by weight. Each assertion fails by chance with probability below 1e-6.
        Assert.Equal(80, provider.CallsTo(heavy) + provider.CallsTo(light));
        Assert.True(provider.CallsTo(light) > 0, "the light deployment got no traffic");
        Assert.True(provider.CallsTo(heavy) > provider.CallsTo(light), $"heavy {provider.CallsTo(heavy)} vs light {provider.CallsTo(light)}");
    }
}
