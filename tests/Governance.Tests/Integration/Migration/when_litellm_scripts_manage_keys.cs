using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Governance.Tests.Integration.Migration;

/// <summary>Scripts written for LiteLLM's key API, with an operator token as the master key.</summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_litellm_scripts_manage_keys(GovernanceFixture fx)
{
    private async Task<(HttpStatusCode Status, JsonElement Body)> Send(HttpMethod method, string url, object? body = null)
    {
        using var client = fx.Api.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", GovernanceFixture.AdminToken);
        using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement);
    }

    private async Task<HttpStatusCode> CallProxy(string key, string model)
    {
        using var proxy = fx.ProxyClient();
        using var call = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            { Content = JsonContent.Create(new { model, max_tokens = 10, messages = new[] { new { role = "user", content = "hi" } } }) };
        call.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return (await proxy.SendAsync(call)).StatusCode;
    }

    [Fact]
    public async Task a_generated_key_carries_its_limits_budget_and_expiry_and_calls_through_the_proxy()
    {
        var model = await fx.ProviderAndModel();
        var team = Api.Unique("team");
        var (status, generated) = await Send(HttpMethod.Post, "/key/generate", new
        {
            models = new[] { model }, max_budget = 25.5m, budget_duration = "30d", rpm_limit = 60, tpm_limit = 100_000, duration = "7d",
            key_alias = "nightly-batch", team_id = team, metadata = new { owner = "data-team" },
        });

        Assert.Equal(HttpStatusCode.OK, status);
        var key = generated.GetProperty("key").GetString()!;
        var id = generated.GetProperty("token").GetString()!;
        Assert.StartsWith($"gk_{id}_", key);
        Assert.Equal("nightly-batch", generated.GetProperty("key_alias").GetString());
        Assert.Equal(fx.Clock.GetUtcNow().AddDays(7), generated.GetProperty("expires").GetDateTimeOffset());
        Assert.Equal("data-team", generated.GetProperty("metadata").GetProperty("owner").GetString());

        // Our own API sees the same key: its app, scope, rate limits and budget.
        var ours = await fx.Api.Get($"/api/keys/{id}").Json();
        Assert.Equal(team, ours.GetProperty("app").GetString());
        Assert.Equal(60, ours.GetProperty("rateLimits").GetProperty("requestsPerMinute").GetInt64());
        Assert.Equal(100_000, ours.GetProperty("rateLimits").GetProperty("tokensPerMinute").GetInt64());
        var budget = await fx.Api.Get($"/api/budgets/key/{id}").Json();
        Assert.Equal(25.5m, budget.GetProperty("limit").GetDecimal());
        Assert.Equal("monthly", budget.GetProperty("period").GetString());

        Assert.Equal(HttpStatusCode.OK, await CallProxy(key, model));

        var (_, info) = await Send(HttpMethod.Get, $"/key/info?key={id}");
        Assert.Equal(id, info.GetProperty("key").GetString());
        Assert.Equal(60, info.GetProperty("info").GetProperty("rpm_limit").GetInt64());
        Assert.Equal(25.5m, info.GetProperty("info").GetProperty("max_budget").GetDecimal());
        Assert.DoesNotContain(key, info.ToString());
    }

    [Fact]
    public async Task block_stops_the_key_at_the_proxy_unblock_restores_it_and_delete_revokes_it()
    {
        var model = await fx.ProviderAndModel();
        var (_, generated) = await Send(HttpMethod.Post, "/key/generate", new { models = new[] { model } });
        var key = generated.GetProperty("key").GetString()!;

        var (blockStatus, blocked) = await Send(HttpMethod.Post, "/key/block", new { key });
        Assert.Equal(HttpStatusCode.OK, blockStatus);
        Assert.True(blocked.GetProperty("blocked").GetBoolean());
        Assert.Equal(HttpStatusCode.Forbidden, await CallProxy(key, model));

        var (_, unblocked) = await Send(HttpMethod.Post, "/key/unblock", new { key });
        Assert.False(unblocked.GetProperty("blocked").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, await CallProxy(key, model));

        var (deleteStatus, deleted) = await Send(HttpMethod.Post, "/key/delete", new { keys = new[] { key } });
        Assert.Equal(HttpStatusCode.OK, deleteStatus);
        Assert.Equal(key, deleted.GetProperty("deleted_keys")[0].GetString());
        Assert.Equal("revoked", (await fx.Api.Get($"/api/keys/{generated.GetProperty("token").GetString()}").Json()).GetProperty("status").GetString());
        Assert.NotEqual(HttpStatusCode.OK, await CallProxy(key, model));
    }

    [Fact]
    public async Task key_info_takes_the_key_id_and_refuses_a_whole_key_in_the_url_unread()
    {
        var (_, generated) = await Send(HttpMethod.Post, "/key/generate", new { models = new[] { "m" } });
        var (key, id) = (generated.GetProperty("key").GetString()!, generated.GetProperty("token").GetString()!);

        var (status, problem) = await Send(HttpMethod.Get, $"/key/info?key={key}");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var message = problem.GetProperty("errors").GetProperty("key")[0].GetString()!;
        Assert.Contains("URL", message);
        Assert.Contains(id, message);
        Assert.DoesNotContain(key, problem.ToString());
        var (byId, info) = await Send(HttpMethod.Get, $"/key/info?key={id}");
        Assert.Equal(HttpStatusCode.OK, byId);
        Assert.Equal(id, info.GetProperty("key").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await Send(HttpMethod.Get, "/key/info?key=nosuchkey0000000")).Status);
    }

    [Fact]
    public async Task a_key_with_a_wrong_secret_is_unknown_and_bad_parameters_are_400s_naming_them()
    {
        var (_, generated) = await Send(HttpMethod.Post, "/key/generate", new { models = new[] { "m" } });
        var key = generated.GetProperty("key").GetString()!;
        var forged = key[..^6] + "aaaaaa";

        Assert.Equal(HttpStatusCode.NotFound, (await Send(HttpMethod.Post, "/key/block", new { key = forged })).Status);

        var (status, problem) = await Send(HttpMethod.Post, "/key/generate", new { budget_duration = "monthly", rpm_limit = -1 });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty("budget_duration", out _), problem.ToString());
        Assert.True(problem.GetProperty("errors").TryGetProperty("rpm_limit", out _), problem.ToString());
    }
}
