using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Governance.Domain.Usage;
using Governance.Tests.Integration.Proxy;
using ProxyAdapter;

namespace Governance.Tests.Integration.Providers;

/// <summary>
/// Anthropic's .NET SDK calls a GPT model through the proxy's <c>/v1/messages</c>: the call is translated to the OpenAI
/// stand-in's Chat Completions API and back, and governed (held, priced, logged) like a native call.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_anthropic_clients_call_gpt_models(GovernanceFixture fx) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private const string StandInKey = "sk-openai-standin";
    private readonly OpenAiStandIn _openAi = new(StandInKey);

    public Task InitializeAsync() => _openAi.StartAsync();

    public async Task DisposeAsync() => await _openAi.DisposeAsync();

    /// <summary>
    /// A GPT model priced at $2.50 in, $10 out, $1.25 cached per million (an image or file part held at up to a cent), and a
    /// key for it.
    /// </summary>
    private async Task<(string Model, Api.Issued Key)> Gpt(string upstreamModel = "gpt-4o", string kind = "openai")
    {
        var provider = Api.Unique("openai");
        await fx.Api.Post("/api/providers", new { name = provider, kind, baseUrl = _openAi.BaseUrl + "/v1", apiKey = StandInKey }, 201);
        var model = Api.Unique("gpt");
        await fx.Api.Post("/api/models", new
        {
            name = model, provider, upstreamModel, inputPricePer1M = 2.5m, outputPricePer1M = 10m, cachedInputPricePer1M = 1.25m, maxCostPerPart = 0.01m,
        }, 201);
        return (model, await fx.IssueKey(Api.Unique("app"), model));
    }

    // The stand-in reports 20 prompt tokens (5 of them cached) and 8 completion tokens.
    private const decimal StandInCost = (15 * 2.5m + 5 * 1.25m + 8 * 10m) / 1_000_000m;

    private AnthropicClient Sdk(Api.Issued key) => new() { ApiKey = key.Key, BaseUrl = "http://proxy.test", HttpClient = fx.ProxyClient(), MaxRetries = 0 };

    private static MessageCreateParams Hi(string model, int maxTokens = 64) => new()
    {
        Model = model, MaxTokens = maxTokens, Messages = [new UserMessageParam { Content = "Hi" }],
    };

    private static readonly Tool Weather = new()
    {
        Name = "get_weather", Description = "The weather in a city",
        InputSchema = new InputSchema { Properties = new Dictionary<string, JsonElement> { ["city"] = JsonSerializer.SerializeToElement(new { type = "string" }) }, Required = ["city"] },
    };

    private JsonObject LastSent() => JsonNode.Parse(_openAi.Received.Last().Body)!.AsObject();

    [Fact]
    public async Task a_message_with_system_image_and_stop_sequences_is_answered_by_gpt_and_priced_from_openais_usage()
    {
        var (model, key) = await Gpt();
        var image = new ImageBlockParam { Source = new Base64ImageSource { MediaType = "image/png", Data = "iVBORw0KGgo=" } };

        var message = await Sdk(key).Messages.Create(new MessageCreateParams
        {
            Model = model, MaxTokens = 64, System = "Be brief.", StopSequences = ["END"],
            Messages = [new UserMessageParam { Content = new List<ContentBlockParam> { new TextBlockParam { Text = "What is this?" }, image } }],
        });

        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal(OpenAiStandIn.Text, text.Text);
        Assert.Equal("end_turn", message.StopReason!.Raw());
        Assert.Equal(model, message.Model.Raw());
        Assert.Equal(15, message.Usage.InputTokens);
        Assert.Equal(5, message.Usage.CacheReadInputTokens);
        Assert.Equal(8, message.Usage.OutputTokens);
        var received = _openAi.Received.Last();
        Assert.Equal("/v1/chat/completions", received.Target);
        Assert.Equal("Bearer " + StandInKey, received.Headers["authorization"]);
        Assert.DoesNotContain(key.Key, string.Join(" ", received.Headers.Values) + Encoding.UTF8.GetString(received.Body));
        var sent = LastSent();
        Assert.Equal("gpt-4o", (string?)sent["model"]);
        Assert.Equal("system", (string?)sent["messages"]![0]!["role"]);
        Assert.Equal("Be brief.", (string?)sent["messages"]![0]!["content"]);
        Assert.Equal("data:image/png;base64,iVBORw0KGgo=", (string?)sent["messages"]![1]!["content"]![1]!["image_url"]!["url"]);
        Assert.Equal("END", (string?)sent["stop"]![0]);
        Assert.Equal(64, (int)sent["max_completion_tokens"]!);

        var logged = Assert.Single((await fx.Api.Get($"/api/keys/{key.Id}/requests").Json()).EnumerateArray().ToList());
        Assert.Equal(20, logged.GetProperty("inputTokens").GetInt64());
        Assert.Equal(5, logged.GetProperty("cachedTokens").GetInt64());
        Assert.Equal(8, logged.GetProperty("outputTokens").GetInt64());
        Assert.False(logged.GetProperty("estimated").GetBoolean());
        Assert.Equal(StandInCost, logged.GetProperty("cost").GetDecimal());
    }

    [Fact]
    public async Task a_streamed_message_is_translated_event_by_event_and_priced_from_the_usage_chunk()
    {
        var (model, key) = await Gpt(kind: "openai-compatible");

        var text = new StringBuilder();
        var types = new List<string>();
        long? outputTokens = null;
        await foreach (var e in Sdk(key).Messages.CreateStreaming(Hi(model)))
        {
            types.Add(e.Type.Raw());
            if (e.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var piece))
                text.Append(piece.Text);
            if (e.TryPickDelta(out var end))
                outputTokens = end.Usage.OutputTokens;
        }

        Assert.Equal(OpenAiStandIn.Text, text.ToString());
        Assert.Equal("message_start", types[0]);
        Assert.Equal("message_stop", types[^1]);
        Assert.Equal(8, outputTokens);
        // The provider is always asked for its usage; an OpenAI-compatible server gets max_tokens.
        var sent = LastSent();
        Assert.True((bool)sent["stream_options"]!["include_usage"]!);
        Assert.Equal(64, (int)sent["max_tokens"]!);
        var logged = await fx.OnlyRecordedForKeyEventually(key.Id);
        Assert.Equal(20, logged.InputTokens);
        Assert.Equal(5, logged.CachedTokens);
        Assert.Equal(8, logged.OutputTokens);
        Assert.False(logged.Estimated);
        Assert.Equal(StandInCost, logged.Cost);
    }

    [Fact]
    public async Task a_tool_call_round_trips_through_gpt_as_tool_use_and_tool_result()
    {
        var (model, key) = await Gpt();
        var sdk = Sdk(key);
        var ask = new UserMessageParam { Content = "Weather in Paris?" };

        var first = await sdk.Messages.Create(new MessageCreateParams { Model = model, MaxTokens = 64, Tools = [Weather], Messages = [ask] });

        Assert.Equal("tool_use", first.StopReason!.Raw());
        Assert.True(first.Content.Single().TryPickToolUse(out var use));
        Assert.Equal("get_weather", use.Name);
        Assert.Equal("Paris", use.Input["city"].GetString());
        Assert.Equal("get_weather", (string?)LastSent()["tools"]![0]!["function"]!["name"]);

        var second = await sdk.Messages.Create(new MessageCreateParams
        {
            Model = model, MaxTokens = 64, Tools = [Weather],
            Messages =
            [
                ask,
                new AssistantMessageParam { Content = new List<ContentBlockParam> { new ToolUseBlockParam { ID = use.ID, Name = use.Name, Input = use.Input } } },
                new UserMessageParam { Content = new List<ContentBlockParam> { new ToolResultBlockParam(use.ID) { Content = "sunny, 21°C" } } },
            ],
        });

        Assert.True(second.Content[0].TryPickText(out var answer));
        Assert.Equal(OpenAiStandIn.AfterTool, answer.Text);
        var turns = LastSent()["messages"]!.AsArray();
        Assert.Equal(use.ID, (string?)turns[1]!["tool_calls"]![0]!["id"]);
        Assert.Equal("tool", (string?)turns[2]!["role"]);
        Assert.Equal(use.ID, (string?)turns[2]!["tool_call_id"]);
        Assert.Equal("sunny, 21°C", (string?)turns[2]!["content"]);
        Assert.Equal(2, (await fx.Api.Get($"/api/keys/{key.Id}/requests").Json()).GetArrayLength());
    }

    [Fact]
    public async Task a_streamed_tool_call_arrives_as_a_tool_use_block_with_its_input()
    {
        var (model, key) = await Gpt();

        var json = new StringBuilder();
        string? name = null;
        await foreach (var e in Sdk(key).Messages.CreateStreaming(new MessageCreateParams { Model = model, MaxTokens = 64, Tools = [Weather], Messages = [new UserMessageParam { Content = "Weather?" }] }))
        {
            if (e.TryPickContentBlockStart(out var start) && start.ContentBlock.TryPickToolUse(out var use))
                name = use.Name;
            if (e.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickInputJson(out var partial))
                json.Append(partial.PartialJson);
        }

        Assert.Equal("get_weather", name);
        Assert.Equal("Paris", JsonNode.Parse(json.ToString())!["city"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_parameter_gpt_cannot_take_is_refused_naming_it_before_anything_is_held_or_sent()
    {
        var (model, key) = await Gpt();
        var client = fx.ProxyClient();
        client.DefaultRequestHeaders.Add("x-api-key", key.Key);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");

        var response = await client.PostAsync("/v1/messages", Routing.JsonBody(
            $$"""{"model":"{{model}}","max_tokens":64,"top_k":5,"messages":[{"role":"user","content":"Hi"}]}"""));

        Assert.Equal(400, (int)response.StatusCode);
        var error = await response.Json();
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("top_k", error.GetProperty("error").GetProperty("message").GetString());
        Assert.Empty(_openAi.Received);
        await Assert.ThrowsAsync<AnthropicBadRequestException>(() => Sdk(key).Messages.Create(Hi(model) with { Thinking = new ThinkingConfigEnabled { BudgetTokens = 1024 } }));
        Assert.Empty(_openAi.Received);
        Assert.Equal(0, (await fx.Api.Get($"/api/keys/{key.Id}/requests").Json()).GetArrayLength());
    }

    [Fact]
    public async Task openais_404_comes_back_in_anthropics_shape_with_its_status()
    {
        var (model, key) = await Gpt("missing");

        var failed = await Assert.ThrowsAsync<AnthropicNotFoundException>(() => Sdk(key).Messages.Create(Hi(model)));

        Assert.Equal(404, (int)failed.StatusCode);
        using var body = JsonDocument.Parse(failed.ResponseBody);
        Assert.Equal("error", body.RootElement.GetProperty("type").GetString());
        Assert.Equal("not_found_error", body.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("does not exist", body.RootElement.GetProperty("error").GetProperty("message").GetString());
        // A 4xx another deployment would share is the answer, not a reason to try elsewhere.
        Assert.Single(_openAi.Received);
    }

    [Fact]
    public async Task an_error_mid_stream_becomes_anthropics_error_event_and_the_stream_is_not_closed_as_complete()
    {
        var (model, key) = await Gpt("error-mid-stream");
        var client = fx.ProxyClient();
        client.DefaultRequestHeaders.Add("x-api-key", key.Key);

        var response = await client.PostAsync("/v1/messages", Routing.JsonBody(
            $$"""{"model":"{{model}}","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Hi"}]}"""));
        var events = await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Contains("event: message_start", events);
        Assert.Contains("\"Hello\"", events);
        Assert.Contains("event: error", events);
        Assert.Contains("\"api_error\"", events);
        Assert.DoesNotContain("message_stop", events);
        await Assert.ThrowsAnyAsync<AnthropicException>(async () =>
        {
            await foreach (var _ in Sdk(key).Messages.CreateStreaming(Hi(model)))
            {
            }
        });
        // Without the provider's count, what was streamed is estimated and charged.
        var logged = await fx.RecordedEventually(response.RequestId());
        Assert.True(logged.Estimated);
        Assert.True(logged.Cost > 0);
    }

    [Fact]
    public async Task a_client_that_disconnects_mid_stream_cancels_the_provider_call_and_is_still_charged()
    {
        var (model, key) = await Gpt("gated");
        var client = fx.ProxyClient();
        client.DefaultRequestHeaders.Add("x-api-key", key.Key);
        var json = $$"""{"model":"{{model}}","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Hi"}]}""";

        string requestId;
        using (var response = await client.SendAsync(
                   new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = Routing.JsonBody(json) }, HttpCompletionOption.ResponseHeadersRead))
        {
            requestId = response.RequestId();
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            while (!(await reader.ReadLineAsync().WaitAsync(Patience))!.Contains("\"Hello\""))
            {
            }
        }

        await _openAi.Cancelled.Task.WaitAsync(Patience);
        var logged = await fx.RecordedEventually(requestId);
        Assert.Equal(Gateway.ClientClosedRequest, logged.Status);
        Assert.True(logged.Estimated);
        Assert.Equal(Estimate.Tokens(Encoding.UTF8.GetByteCount(json)), logged.InputTokens);
        Assert.True(logged.OutputTokens > 0);
        Assert.True(logged.Cost > 0);
    }
}
