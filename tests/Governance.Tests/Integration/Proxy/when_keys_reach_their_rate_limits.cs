using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ProxyAdapter;

namespace Governance.Tests.Integration.Proxy;

/// <summary>
/// A key's requests/min, tokens/min and parallel limits, enforced by the proxy (docs/gateway.md, "Rate limits"): past a
/// limit the caller gets 429 <c>rate_limited</c> with Retry-After, the refusal is recorded and explained, and the limit
/// frees up as the minute rolls on or the call in flight ends.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_keys_reach_their_rate_limits(GovernanceFixture fx, FakeProvider provider) : IClassFixture<FakeProvider>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private async Task<string> Routed(string upstreamModel) => await fx.Model([new(await fx.Provider(provider.BaseUrl), upstreamModel)]);

    private async Task<(string Model, Api.Issued Key)> Limited(object rateLimits, string? upstreamModel = null)
    {
        var model = await Routed(upstreamModel ?? Api.Unique("gpt"));
        return (model, await Key(model, rateLimits));
    }

    private async Task<Api.Issued> Key(string model, object rateLimits)
    {
        var issued = await fx.Api.Post("/api/keys", new { app = Api.Unique("app"), name = "limited", models = new[] { model }, rateLimits }, 201).Json();
        return new Api.Issued(issued.GetProperty("id").GetString()!, issued.GetProperty("key").GetString()!);
    }

    private Task<HttpResponseMessage> Call(Api.Issued key, string json) =>
        fx.ProxyClient(key.Key).PostAsync("/v1/chat/completions", Routing.JsonBody(json));

    private static async Task AssertRateLimited(HttpResponseMessage response, string limit)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("rate_limited", error.GetProperty("code").GetString());
        Assert.Equal("rate_limit_exceeded", error.GetProperty("type").GetString());
        Assert.Contains(limit.Replace('_', ' '), error.GetProperty("message").GetString());
        var retryAfter = response.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value.TotalSeconds, 1, 60);
    }

    [Fact]
    public async Task the_call_past_the_requests_per_minute_is_refused_recorded_and_admitted_again_a_minute_later()
    {
        var upstream = Api.Unique("gpt");
        var (model, key) = await Limited(new { requestsPerMinute = 2 }, upstream);
        var json = Routing.ChatJson(model, "hi");

        Assert.Equal(HttpStatusCode.OK, (await Call(key, json)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Call(key, json)).StatusCode);
        var refused = await Call(key, json);
        await AssertRateLimited(refused, "requests_per_minute");
        Assert.Equal(2, provider.CallsTo(upstream));

        var explanation = await fx.Api.Get($"/api/requests/{refused.RequestId()}/explanation").Json();
        Assert.Equal("denied", explanation.GetProperty("decision").GetString());
        Assert.Equal("rate_limited", explanation.GetProperty("reason").GetString());
        var check = explanation.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "rate_limits");
        Assert.False(check.GetProperty("passed").GetBoolean());
        Assert.Contains("2 requests/min", check.GetProperty("detail").GetString());

        fx.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, (await Call(key, json)).StatusCode);
    }

    [Fact]
    public async Task tokens_per_minute_count_the_tokens_used_and_a_call_whose_worst_case_does_not_fit_is_refused()
    {
        // The limit fits two worst cases less one token: the second call is admitted only because the first one's
        // worst case (its input estimate and every max_tokens) was replaced by the few tokens it used.
        var model = await Routed(Api.Unique("gpt"));
        var json = Routing.ChatJson(model, "hi", extra: ",\"max_tokens\":50");
        var tokensPerMinute = 2 * (Estimate.Tokens(Encoding.UTF8.GetByteCount(json)) + 50) - 1;
        var key = await Key(model, new { tokensPerMinute });

        Assert.Equal(HttpStatusCode.OK, (await Call(key, json)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Call(key, json)).StatusCode);
        await AssertRateLimited(await Call(key, Routing.ChatJson(model, "hi", extra: $",\"max_tokens\":{tokensPerMinute}")), "tokens_per_minute");
    }

    [Fact]
    public async Task with_one_call_in_flight_a_second_is_refused_and_once_it_ends_the_next_is_admitted()
    {
        var upstream = Api.Unique("gated");
        var (model, key) = await Limited(new { maxParallel = 1 }, upstream);
        var gate = provider.GateFor(upstream);

        using var streaming = await fx.ProxyClient(key.Key).SendAsync(
            new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Routing.JsonBody(Routing.ChatJson(model, "hi", stream: true)) },
            HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await streaming.Content.ReadAsStreamAsync());
        while (!(await reader.ReadLineAsync().WaitAsync(Patience))!.Contains(FakeProvider.StreamedText[0]))
        {
        }

        await AssertRateLimited(await Call(key, Routing.ChatJson(model, "hi")), "max_parallel");

        gate.Release();
        Assert.EndsWith("data: [DONE]\n\n", await reader.ReadToEndAsync().WaitAsync(Patience));
        // The client has its last event a moment before the proxy is done with the call: wait for its record.
        await fx.RecordedEventually(streaming.RequestId());
        Assert.Equal(HttpStatusCode.OK, (await Call(key, Routing.ChatJson(model, "hi"))).StatusCode);
    }

    [Fact]
    public async Task a_limit_changed_through_the_api_applies_to_the_next_call_without_a_restart()
    {
        var (model, key) = await Limited(new { requestsPerMinute = 1 });
        var json = Routing.ChatJson(model, "hi");
        Assert.Equal(HttpStatusCode.OK, (await Call(key, json)).StatusCode);
        await AssertRateLimited(await Call(key, json), "requests_per_minute");

        await fx.Api.Put($"/api/keys/{key.Id}/limits", new { requestsPerMinute = 3 }, 200);
        Assert.Equal(HttpStatusCode.OK, (await Call(key, json)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Call(key, json)).StatusCode);
        await AssertRateLimited(await Call(key, json), "requests_per_minute");

        await fx.Api.Put($"/api/keys/{key.Id}/limits", new { requestsPerMinute = (long?)null }, 200);
        Assert.Equal(HttpStatusCode.OK, (await Call(key, json)).StatusCode);
    }
}
