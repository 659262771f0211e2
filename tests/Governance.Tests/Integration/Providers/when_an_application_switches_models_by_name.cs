using System.ClientModel;
using System.ClientModel.Primitives;
using Governance.Tests.Integration.Proxy;
using OpenAI;
using OpenAI.Chat;

namespace Governance.Tests.Integration.Providers;

/// <summary>
/// The gateway's first promise: an application written against OpenAI's SDK moves from a GPT model to a Claude model by
/// changing the model name and nothing else. Same key, same code path; each answered and priced at its own price.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_an_application_switches_models_by_name(GovernanceFixture fx) : IAsyncLifetime
{
    private const string Key = "sk-standin";
    private readonly AnthropicStandIn _anthropic = new(Key);
    private readonly OpenAiStandIn _openAi = new(Key);

    public Task InitializeAsync() => Task.WhenAll(_anthropic.StartAsync(), _openAi.StartAsync());

    public async Task DisposeAsync()
    {
        await _anthropic.DisposeAsync();
        await _openAi.DisposeAsync();
    }

    private async Task<string> Model(string kind, string baseUrl, string upstream, decimal input, decimal output, decimal cached)
    {
        var provider = Api.Unique(kind);
        await fx.Api.Post("/api/providers", new { name = provider, kind, baseUrl, apiKey = Key }, 201);
        return await fx.Model([new(provider, upstream)], inputPrice: input, outputPrice: output, cachedPrice: cached);
    }

    /// <summary>The application: the one code path it has, with the model name as its only setting.</summary>
    private async Task<string> Application(string model, string virtualKey)
    {
        var client = new ChatClient(model, new ApiKeyCredential(virtualKey), new OpenAIClientOptions
        {
            Endpoint = new Uri("http://proxy.test/v1"),
            Transport = new HttpClientPipelineTransport(fx.ProxyClient()),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });
        ChatCompletion answer = await client.CompleteChatAsync(
            [new SystemChatMessage("Be brief."), new UserChatMessage("Hi")], new ChatCompletionOptions { MaxOutputTokenCount = 100, Temperature = 0.2f });
        return answer.Content[0].Text;
    }

    [Fact]
    public async Task changing_only_the_model_name_moves_it_from_gpt_to_claude_each_answered_and_priced()
    {
        var gpt = await Model("openai", _openAi.BaseUrl + "/v1", "gpt-4o", 2.5m, 10m, 1.25m);
        var claude = await Model("anthropic", _anthropic.BaseUrl + "/v1", "claude-sonnet-4-5", 3m, 15m, 0.3m);
        var key = await fx.IssueKey(Api.Unique("app"), gpt, claude);

        Assert.Equal(OpenAiStandIn.Text, await Application(gpt, key.Key));
        Assert.Equal(AnthropicStandIn.Text, await Application(claude, key.Key));

        Assert.Equal("/v1/chat/completions", Assert.Single(_openAi.Received).Target);
        Assert.Equal("/v1/messages", Assert.Single(_anthropic.Received).Target);
        var logged = await Wait.For(async () => (await fx.Api.Get($"/api/keys/{key.Id}/requests").Json()).EnumerateArray().ToList(),
            entries => entries.Count == 2, "both calls to be logged");
        var cost = logged.ToDictionary(e => e.GetProperty("model").GetString()!, e => e.GetProperty("cost").GetDecimal());
        Assert.Equal((15 * 2.5m + 5 * 1.25m + 8 * 10m) / 1_000_000m, cost[gpt]);
        Assert.Equal((12 * 3m + 3 * 0.3m + 6 * 15m) / 1_000_000m, cost[claude]);
    }
}
