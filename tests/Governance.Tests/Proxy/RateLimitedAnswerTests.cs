using System.Text.Json;
using Governance.Domain.Keys;
using Microsoft.AspNetCore.Http;
using ProxyAdapter;
using ProxyAdapter.Limits;

namespace Governance.Tests.Proxy;

public sealed class RateLimitedAnswerTests
{
    private static async Task<(HttpResponse Response, JsonElement Body)> Execute(IResult result)
    {
        var http = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        http.Response.Body = new MemoryStream();
        await result.ExecuteAsync(http);
        http.Response.Body.Position = 0;
        return (http.Response, await JsonSerializer.DeserializeAsync<JsonElement>(http.Response.Body));
    }

    [Fact]
    public async Task an_openai_client_gets_429_rate_limited_in_openai_shape_with_retry_after()
    {
        var limiter = new KeyRateLimiter();
        var now = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        limiter.TryAcquire("k", new KeyRateLimits(1, null, null), 0, now);
        var denial = limiter.TryAcquire("k", new KeyRateLimits(1, null, null), 0, now.AddSeconds(15));

        var (response, body) = await Execute(OpenAiErrors.Instance.RateLimited(denial));

        Assert.Equal(429, response.StatusCode);
        Assert.Equal("45", response.Headers.RetryAfter.ToString());
        Assert.Equal("rate_limited", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("rate_limit_exceeded", body.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("requests per minute", body.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task an_anthropic_client_gets_its_rate_limit_error_type()
    {
        var denial = new KeyRateLimiter().TryAcquire("k", new KeyRateLimits(null, null, 0), 0, DateTimeOffset.UnixEpoch);

        var (response, body) = await Execute(AnthropicErrors.Instance.RateLimited(denial));

        Assert.Equal(429, response.StatusCode);
        Assert.Equal("1", response.Headers.RetryAfter.ToString());
        Assert.Equal("rate_limit_error", body.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("rate_limited", body.GetProperty("error").GetProperty("code").GetString());
    }
}
