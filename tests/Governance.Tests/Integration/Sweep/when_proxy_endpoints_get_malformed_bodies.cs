using System.Collections.Concurrent;
using Governance.Tests.Integration.Proxy;
using ProxyAdapter;

namespace Governance.Tests.Integration.Sweep;

/// <summary>
/// The malformed-body sweep of the proxy: every POST it serves gets, with a valid key, field by field wrong types, nulls,
/// missing fields, huge and negative numbers, 100,000-character strings, 10,000 nested arrays and properties named twice,
/// and as a whole non-JSON, an empty body, a wrong content type, 10,000 nested arrays and a body past the limit. Each must
/// be a 4xx in the called API's own error shape (OpenAI's <c>param</c>, the start of Anthropic's message) naming the field
/// where one is at fault, never a 5xx, and a refused body reaches no provider. Fields the gateway forwards unread
/// (<see cref="SweepRow{TWorld}.FreeForm"/>: a message's role, a text part's text, sampling settings) are the provider's
/// to judge: there only a 5xx fails. Afterwards each row's valid body is still answered. A new POST on the proxy without a
/// row fails <see cref="every_proxy_write_endpoint_has_a_row"/>.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_proxy_endpoints_get_malformed_bodies(GovernanceFixture fx, FakeProvider provider) : IClassFixture<FakeProvider>
{
    /// <summary>A key allowed an OpenAI-routed and an Anthropic-routed model, both answered by <see cref="FakeProvider"/>.</summary>
    public sealed record ProxyWorld(string ChatModel, string ClaudeModel, string Key);

    private static readonly ConcurrentDictionary<FakeProvider, Lazy<Task<ProxyWorld>>> Worlds = new();

    private static readonly SweepRow<ProxyWorld>[] Rows =
    [
        new("POST", "/v1/chat/completions", "key", w => Call("/v1/chat/completions", new
            {
                model = w.ChatModel,
                messages = new object[]
                {
                    new { role = "system", content = "Be brief." },
                    new { role = "user", content = new object[] { new { type = "text", text = "hi" } } },
                },
                max_tokens = 16, max_completion_tokens = 16, n = 1, stream = false, temperature = 0.5, user = "sweep",
            }),
            Optional: ["max_tokens", "max_completion_tokens", "n", "stream", "temperature", "user", "messages[0].role", "messages[0].content",
                "messages[1].role", "messages[1].content", "messages[1].content[0].text"],
            FreeForm: ["temperature", "user", "messages[0].role", "messages[1].role", "messages[1].content[0].text"],
            LongText: ["messages[0].content"], OrString: ["messages[1].content"], UniqueNames: true),
        new("POST", "/v1/embeddings", "key", w => Call("/v1/embeddings",
                new { model = w.ChatModel, input = "hello", dimensions = 8, encoding_format = "float", user = "sweep" }),
            Optional: ["dimensions", "encoding_format", "user"], FreeForm: ["encoding_format", "user"], LongText: ["input"], UniqueNames: true),
        new("POST", "/v1/responses", "key", w => Call("/v1/responses", new
            {
                model = w.ChatModel, instructions = "Be brief.",
                input = new object[] { new { role = "user", content = new object[] { new { type = "input_text", text = "hi" } } } },
                tools = new object[] { new { type = "function", name = "lookup", parameters = new { type = "object" } } },
                include = new[] { "reasoning.encrypted_content" },
                max_output_tokens = 16, stream = false, store = false, temperature = 0.5, user = "sweep",
            }),
            Optional: ["instructions", "tools", "include", "max_output_tokens", "stream", "store", "temperature", "user", "input[0].role",
                "input[0].content", "input[0].content[0].text", "tools[0].name", "tools[0].parameters", "tools[0].parameters.type"],
            FreeForm: ["temperature", "user", "input[0].role", "input[0].content[0].text", "tools[0].name", "tools[0].parameters"],
            LongText: ["instructions"], OrString: ["input", "input[0].content"], UniqueNames: true),
        new("POST", "/v1/messages", "key", w => Call("/v1/messages", new
            {
                model = w.ClaudeModel, max_tokens = 2048, system = "Be brief.",
                messages = new object[] { new { role = "user", content = new object[] { new { type = "text", text = "hi" } } } },
                thinking = new { type = "enabled", budget_tokens = 1024 }, stream = false, temperature = 1, metadata = new { user_id = "sweep" },
            }),
            Optional: ["system", "thinking", "thinking.type", "thinking.budget_tokens", "stream", "temperature", "metadata", "metadata.user_id",
                "messages[0].role", "messages[0].content[0].text"],
            FreeForm: ["thinking.type", "temperature", "metadata", "messages[0].role", "messages[0].content[0].text"],
            LongText: ["system"], OrString: ["messages[0].content"], UniqueNames: true),
    ];

    private static Task<SweepCall> Call(string url, object body) => Task.FromResult(new SweepCall(url, body));

    public static TheoryData<string> RowNames() => new(Rows.Select(r => r.Name));

    private Task<ProxyWorld> World() => Worlds.GetOrAdd(provider, _ => new Lazy<Task<ProxyWorld>>(async () =>
    {
        var chat = await fx.Model([new(await fx.Provider(provider.BaseUrl), "sweep-gpt")]);
        var claude = await fx.Model([new(await fx.Provider(provider.BaseUrl, "anthropic"), "sweep-claude")]);
        return new ProxyWorld(chat, claude, (await fx.IssueKey(Api.Unique("sweep-app"), chat, claude)).Key);
    })).Value;

    [Fact]
    public void every_proxy_write_endpoint_has_a_row() => SweepRun.AssertEveryWriteHasARow(fx.Proxy, Rows.Select(r => r.Name),
        // Reads no body: there is no stored response to delete (StoredResponses), whatever the id.
        ["DELETE /v1/responses/{id}"], "proxy");

    [Theory]
    [MemberData(nameof(RowNames))]
    public async Task each_malformed_body_is_a_4xx_in_the_apis_shape_naming_the_field_and_is_not_forwarded(string endpoint)
    {
        var row = Rows.Single(r => r.Name == endpoint);
        var world = await World();
        var shape = endpoint == "POST /v1/messages" ? SweepTarget.Anthropic : SweepTarget.OpenAi;
        var limit = fx.Proxy.Services.GetRequiredService<GatewayOptions>().MaxRequestBodyBytes;
        var target = new SweepTarget(fx.ProxyClient(), world.Key, shape, limit, () => provider.Requests.Count);

        var wrong = await SweepRun.RunAsync(row, world, target);

        Assert.True(wrong.Count == 0, $"{endpoint}:\n" + string.Join("\n", wrong));
    }
}
