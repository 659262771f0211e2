using Governance.Tests.Integration.Observability;
using Governance.Tests.Integration.Proxy;
using OpenAI;
using OpenAI.Chat;
using System.ClientModel;
using System.ClientModel.Primitives;

namespace Governance.Tests.Integration;

[Collection(GovernanceCollection.Name)]
public sealed class when_secrets_pass_through_the_system(GovernanceFixture fx)
{
    [Fact]
    public async Task no_key_or_token_ever_reaches_a_log_line()
    {
        var model = await fx.ProviderAndModel();
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        var rotated = (await fx.Api.Post($"/api/keys/{issued.Id}/rotate", new { gracePeriodSeconds = 0 }, 200).Json()).GetProperty("key").GetString()!;
        var sdk = new ChatClient(model, new ApiKeyCredential(rotated), new OpenAIClientOptions
        {
            Endpoint = new Uri("http://proxy.test/v1"),
            Transport = new HttpClientPipelineTransport(fx.ProxyClient()),
        });
        await sdk.CompleteChatAsync([new UserChatMessage("hello")]);
        await fx.Api.Post("/api/authorize", new { key = issued.Key, model }, 200);
        await fx.Api.Post("/api/keys", new { app = "x" }, 401, token: "wrong-token-value");

        var secrets = new[] { issued.Key, rotated, GovernanceFixture.AdminToken, "wrong-token-value", "sk-provider-", fx.MasterKey };
        Assert.NotEmpty(fx.Logs.Lines);
        foreach (var line in fx.Logs.Lines)
        foreach (var secret in secrets)
            Assert.DoesNotContain(secret, line);
    }

    [Fact]
    public async Task no_key_or_token_reaches_the_metrics_or_the_json_logs()
    {
        var (proxy, logs) = await JsonLogCapture.StartProxy(fx);
        await using var host = proxy;
        var model = await fx.ProviderAndModel();
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        async Task Call(string key, string body)
        {
            var client = proxy.Server.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", key);
            await client.PostAsync("/v1/chat/completions", Routing.JsonBody(body));
        }
        await Call(issued.Key, Routing.ChatJson(model, "hello"));
        await Call(issued.Key + "x", Routing.ChatJson(model, "hello"));
        // A key pasted where the model name goes (a classic client mistake) must not become a label value.
        await Call(issued.Key, Routing.ChatJson(issued.Key, "hello"));
        await fx.Api.Post("/api/keys", new { app = "x" }, 401, token: "wrong-token-value");

        var secrets = new[] { issued.Key, GovernanceFixture.AdminToken, "wrong-token-value", "sk-provider-", fx.MasterKey, fx.AuditKey, "Password=" };
        var metrics = new[]
        {
            await proxy.ProxyMetricsText(), await fx.Proxy.ProxyMetricsText(), await fx.Api.Server.CreateClient().MetricsText(),
        };
        Assert.Contains(metrics, m => m.Contains("gov_proxy_decisions_total"));
        Assert.NotEmpty(logs.Lines);
        foreach (var text in metrics.Concat(logs.Lines))
        foreach (var secret in secrets)
            Assert.DoesNotContain(secret, text);
    }
}
