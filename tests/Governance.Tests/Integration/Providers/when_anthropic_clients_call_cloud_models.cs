using System.Text;
using Anthropic;
using Anthropic.Models.Messages;
using Governance.Tests.Integration.Proxy;
using ProxyAdapter.Translation.Bedrock;

namespace Governance.Tests.Integration.Providers;

/// <summary>
/// Anthropic's .NET SDK calls models of the cloud kinds through the proxy's <c>/v1/messages</c>: translated to chat
/// completions and on to Gemini's, Bedrock's or Azure OpenAI's API, answered in Anthropic's shape and priced from the
/// provider's usage.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_anthropic_clients_call_cloud_models(GovernanceFixture fx) : IAsyncLifetime
{
    private const string GeminiKey = "AIzaSy-gemini-standin-key-1111111111111";
    private const string AzureKey = "fedcba9876543210fedcba9876543210";
    private const string Region = "us-west-2";
    private static readonly AwsCredentials Aws = new("AKIAI44QH8DHBEXAMPLE", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY");
    private readonly GeminiStandIn _gemini = new(GeminiKey);
    private readonly BedrockStandIn _bedrock = new(Aws, Region);
    private readonly AzureOpenAiStandIn _azure = new(AzureKey, "prod-gpt-4o");

    public Task InitializeAsync() => Task.WhenAll(_gemini.StartAsync(), _bedrock.StartAsync(), _azure.StartAsync());

    public async Task DisposeAsync()
    {
        await _gemini.DisposeAsync();
        await _bedrock.DisposeAsync();
        await _azure.DisposeAsync();
    }

    private async Task<(string Model, Api.Issued Key)> Model(object provider, string upstream)
    {
        await fx.Api.Post("/api/providers", provider, 201);
        var name = (string)provider.GetType().GetProperty("name")!.GetValue(provider)!;
        var model = await fx.Model([new Routing.Upstream(name, upstream)], inputPrice: 1m, outputPrice: 4m, cachedPrice: 0.1m);
        return (model, await fx.IssueKey(Api.Unique("app"), model));
    }

    private AnthropicClient Sdk(Api.Issued key) => new() { ApiKey = key.Key, BaseUrl = "http://proxy.test", HttpClient = fx.ProxyClient(), MaxRetries = 0 };

    private static MessageCreateParams Hi(string model) => new()
    {
        Model = model, MaxTokens = 64, System = "Be brief.", Messages = [new UserMessageParam { Content = "Hi" }],
    };

    [Fact]
    public async Task a_message_is_answered_by_gemini_and_by_an_azure_deployment_in_anthropics_shape()
    {
        var (gemini, geminiKey) = await Model(new { name = Api.Unique("gemini"), kind = "gemini", baseUrl = _gemini.BaseUrl + "/v1beta", apiKey = GeminiKey }, "gemini-2.5-flash");
        var (azure, azureKey) = await Model(new { name = Api.Unique("azure"), kind = "azure-openai", baseUrl = _azure.BaseUrl, apiKey = AzureKey, apiVersion = "2024-10-21" }, "prod-gpt-4o");

        var fromGemini = await Sdk(geminiKey).Messages.Create(Hi(gemini));
        var fromAzure = await Sdk(azureKey).Messages.Create(Hi(azure));

        Assert.True(fromGemini.Content[0].TryPickText(out var geminiText));
        Assert.Equal("Hello from Gemini.", geminiText.Text);
        Assert.Equal("end_turn", fromGemini.StopReason!.Raw());
        Assert.Equal(9, fromGemini.Usage.OutputTokens);
        Assert.True(fromAzure.Content[0].TryPickText(out var azureText));
        Assert.Equal("Hello from Azure.", azureText.Text);
        Assert.Equal("/openai/deployments/prod-gpt-4o/chat/completions?api-version=2024-10-21", _azure.Received.Last().Target);
        Assert.Equal(AzureKey, _azure.Received.Last().Headers["api-key"]);
        var logged = await fx.OnlyRecordedForKeyEventually(geminiKey.Id);
        Assert.Equal(11, logged.InputTokens);
        Assert.Equal(9, logged.OutputTokens);
        Assert.Equal((11 * 1m + 9 * 4m) / 1_000_000m, logged.Cost);
    }

    [Fact]
    public async Task a_streamed_message_from_bedrock_arrives_as_anthropics_event_sequence_and_is_priced()
    {
        var (model, key) = await Model(new
        {
            name = Api.Unique("bedrock"), kind = "bedrock", baseUrl = _bedrock.BaseUrl, region = Region,
            aws = new { accessKeyId = Aws.AccessKeyId, secretAccessKey = Aws.SecretAccessKey },
        }, "amazon.nova-lite-v1:0");

        var text = new StringBuilder();
        var types = new List<string>();
        await foreach (var e in Sdk(key).Messages.CreateStreaming(Hi(model)))
        {
            types.Add(e.Type.Raw());
            if (e.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var piece))
                text.Append(piece.Text);
        }

        Assert.Equal("Hello from Bedrock.", text.ToString());
        Assert.Equal("message_start", types[0]);
        Assert.Equal("message_stop", types[^1]);
        Assert.Equal("/model/amazon.nova-lite-v1%3A0/converse-stream", _bedrock.Received.Last().Target);
        var logged = await fx.OnlyRecordedForKeyEventually(key.Id);
        Assert.Equal(10, logged.InputTokens);
        Assert.Equal(5, logged.OutputTokens);
        Assert.False(logged.Estimated);
    }
}
