using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using Governance.Projections.Usage;
using Marten;
using OpenAI;
using OpenAI.Chat;

namespace Governance.Tests.Integration;

/// <summary>End to end: the official OpenAI .NET SDK, only base URL and key changed, through our proxy to a fake provider.</summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_an_application_calls_through_the_proxy(GovernanceFixture fx)
{
    private ChatClient Sdk(string model, string virtualKey) => new(model, new ApiKeyCredential(virtualKey), new OpenAIClientOptions
    {
        Endpoint = new Uri("http://proxy.test/v1"),
        Transport = new HttpClientPipelineTransport(fx.ProxyClient()),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });

    private static async Task<ClientResultException> Refused(ChatClient client) =>
        await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")]));

    [Fact]
    public async Task the_answer_comes_back_and_the_call_is_priced_and_logged()
    {
        var model = await fx.ProviderAndModel(upstreamModel: "gpt-4o-mini-2024-07-18", inputPrice: 0.15m, outputPrice: 0.60m);
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        const string prompt = "Say hello to the governance gateway.";

        var completion = (await Sdk(model, issued.Key).CompleteChatAsync([new UserChatMessage(prompt)])).Value;

        Assert.Equal("Hello from the fake upstream.", completion.Content[0].Text);
        Assert.Equal(prompt.Length, completion.Usage.InputTokenCount);
        var received = fx.Upstream.Requests.Last();
        Assert.Equal("gpt-4o-mini-2024-07-18", received.Model);
        Assert.StartsWith("Bearer sk-provider-", received.Authorization);
        Assert.DoesNotContain(issued.Key, received.Body.ToJsonString());

        var log = (await fx.Api.Get($"/api/keys/{issued.Id}/requests").Json()).EnumerateArray().Single();
        Assert.Equal(model, log.GetProperty("model").GetString());
        Assert.Equal(prompt.Length, log.GetProperty("inputTokens").GetInt64());
        Assert.Equal(FakeUpstream.CompletionTokens, log.GetProperty("outputTokens").GetInt64());
        Assert.Equal(200, log.GetProperty("status").GetInt32());
        Assert.Equal((prompt.Length * 0.15m + 7 * 0.60m) / 1_000_000m, log.GetProperty("cost").GetDecimal());
    }

    [Fact]
    public async Task a_revoked_key_is_refused_in_openai_error_shape()
    {
        var model = await fx.ProviderAndModel();
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        var client = Sdk(model, issued.Key);
        await client.CompleteChatAsync([new UserChatMessage("first")]);
        var forwarded = fx.Upstream.Requests.Count;

        await fx.Api.Post($"/api/keys/{issued.Id}/revoke", new { reason = "leaked" }, 200);
        var refused = await Refused(client);

        Assert.Equal(401, refused.Status);
        var error = JsonDocument.Parse(refused.GetRawResponse()!.Content.ToString()).RootElement.GetProperty("error");
        Assert.Equal("revoked", error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(forwarded, fx.Upstream.Requests.Count);
    }

    [Fact]
    public async Task a_model_outside_the_key_scope_is_forbidden()
    {
        var allowed = await fx.ProviderAndModel();
        var other = await fx.ProviderAndModel();
        var issued = await fx.IssueKey(Api.Unique("app"), allowed);

        var refused = await Refused(Sdk(other, issued.Key));
        Assert.Equal(403, refused.Status);
        Assert.Contains("model_not_allowed", refused.GetRawResponse()!.Content.ToString());
    }

    [Fact]
    public async Task after_rotation_the_old_key_works_until_the_grace_deadline_and_not_after()
    {
        var model = await fx.ProviderAndModel();
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        var rotated = await fx.Api.Post($"/api/keys/{issued.Id}/rotate", new { gracePeriodSeconds = 600 }, 200).Json();
        var newKey = rotated.GetProperty("key").GetString()!;

        await Sdk(model, issued.Key).CompleteChatAsync([new UserChatMessage("old key, inside grace")]);
        await Sdk(model, newKey).CompleteChatAsync([new UserChatMessage("new key")]);

        fx.Clock.Advance(TimeSpan.FromSeconds(599));
        await Sdk(model, issued.Key).CompleteChatAsync([new UserChatMessage("old key, last second")]);
        fx.Clock.Advance(TimeSpan.FromSeconds(1));

        var refused = await Refused(Sdk(model, issued.Key));
        Assert.Equal(401, refused.Status);
        Assert.Contains("rotated", refused.GetRawResponse()!.Content.ToString());
        await Sdk(model, newKey).CompleteChatAsync([new UserChatMessage("new key still works")]);
    }

    [Fact]
    public async Task an_unreachable_provider_is_a_502_in_openai_shape_and_is_logged()
    {
        var model = await fx.ProviderAndModel(baseUrl: "http://127.0.0.1:9/v1");
        var issued = await fx.IssueKey(Api.Unique("app"), model);

        var refused = await Refused(Sdk(model, issued.Key));
        Assert.Equal(502, refused.Status);
        Assert.Contains("provider_unreachable", refused.GetRawResponse()!.Content.ToString());
        var log = (await fx.Api.Get($"/api/keys/{issued.Id}/requests").Json()).EnumerateArray().Single();
        Assert.Equal(502, log.GetProperty("status").GetInt32());
        Assert.Equal(0m, log.GetProperty("cost").GetDecimal());
    }

    [Fact]
    public async Task a_provider_failing_on_its_only_deployment_is_a_clean_502_and_costs_nothing()
    {
        var model = await fx.ProviderAndModel(upstreamModel: "always-500");
        var issued = await fx.IssueKey(Api.Unique("app"), model);

        var refused = await Refused(Sdk(model, issued.Key));
        Assert.Equal(502, refused.Status);
        Assert.Contains("upstream_failed", refused.GetRawResponse()!.Content.ToString());
        var log = (await fx.Api.Get($"/api/keys/{issued.Id}/requests").Json()).EnumerateArray().Single();
        Assert.Equal(502, log.GetProperty("status").GetInt32());
        Assert.Equal(0m, log.GetProperty("cost").GetDecimal());
        Assert.Equal(500, log.GetProperty("failedAttempts")[0].GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task every_response_carries_a_request_id_that_names_the_logged_request()
    {
        var model = await fx.ProviderAndModel();
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        var client = fx.ProxyClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", issued.Key);

        var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model, messages = new[] { new { role = "user", content = "hi" } } });
        var requestId = Assert.Single(response.Headers.GetValues("x-request-id"));

        await using var session = fx.Store.QuerySession();
        var record = Assert.Single(await RequestLog.RecordedAsync(session, [requestId], default));
        Assert.Equal(issued.Id, record.KeyId);
        var denied = await fx.ProxyClient().PostAsJsonAsync("/v1/chat/completions", new { model });
        Assert.Equal(401, (int)denied.StatusCode);
        Assert.Single(denied.Headers.GetValues("x-request-id"));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("{\"messages\":[]}")]
    [InlineData("[{\"model\":\"m\"}]")]
    [InlineData("{\"model\":42,\"messages\":[]}")]
    public async Task bad_requests_are_400_in_openai_shape(string json)
    {
        var model = await fx.ProviderAndModel();
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        var client = fx.ProxyClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", issued.Key);
        var response = await client.PostAsync("/v1/chat/completions", new StringContent(json.Replace("\"m\"", $"\"{model}\""), System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(400, (int)response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }
}
