using System.Text.Json;

namespace Governance.Tests.Integration.Proxy;

/// <summary>
/// Issue 16: nonsense in the fields that size a hold (<c>max_tokens: -1</c>, <c>"lots"</c>, <c>1e300</c>, <c>n: 0</c>,
/// <c>messages: "x"</c>, …) is a 400 in the called API's own error shape naming the field, and nothing is forwarded.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_callers_send_nonsense_numbers(GovernanceFixture fx, FakeProvider provider) : IClassFixture<FakeProvider>
{
    private const string Hello = """[{"role":"user","content":"hi"}]""";

    private async Task<(string Model, string Key, string Upstream)> Routed(string kind)
    {
        var upstream = Api.Unique("up");
        var model = await fx.Model([new(await fx.Provider(provider.BaseUrl, kind), upstream)]);
        return (model, (await fx.IssueKey(Api.Unique("app"), model)).Key, upstream);
    }

    /// <summary>A request body for <paramref name="model"/> with the JSON members given (empty ones left out).</summary>
    private static StringContent Body(string model, params string[] members) =>
        Routing.JsonBody($$"""{"model":"{{model}}"{{string.Concat(members.Where(m => m.Length > 0).Select(m => "," + m))}}}""");

    [Theory]
    [InlineData(Hello, "\"max_tokens\":-1", "max_tokens")]
    [InlineData(Hello, "\"max_tokens\":\"lots\"", "max_tokens")]
    [InlineData(Hello, "\"max_tokens\":1e300", "max_tokens")]
    [InlineData(Hello, "\"max_tokens\":1.5", "max_tokens")]
    [InlineData(Hello, "\"max_tokens\":true", "max_tokens")]
    [InlineData(Hello, "\"max_tokens\":0", "max_tokens")]
    [InlineData(Hello, "\"max_tokens\":99999999999999999999", "max_tokens")]
    [InlineData(Hello, "\"n\":2,\"max_tokens\":9223372034854775807", "max_tokens")]
    [InlineData(Hello, "\"max_tokens\":4097", "max_tokens")]
    [InlineData(Hello, "\"max_completion_tokens\":-5", "max_completion_tokens")]
    [InlineData(Hello, "\"max_completion_tokens\":\"8\"", "max_completion_tokens")]
    [InlineData(Hello, "\"n\":0", "n")]
    [InlineData(Hello, "\"n\":-3", "n")]
    [InlineData(Hello, "\"n\":129", "n")]
    [InlineData(Hello, "\"n\":\"2\"", "n")]
    [InlineData(Hello, "\"n\":2.0", "n")]
    [InlineData(Hello, "\"stream\":\"yes\"", "stream")]
    [InlineData("\"x\"", "", "messages")]
    [InlineData("[]", "", "messages")]
    [InlineData("[1]", "", "messages[0]")]
    [InlineData("""[{"role":"user","content":5}]""", "", "messages[0].content")]
    [InlineData("""[{"role":"user","content":[{"type":"video_url","video_url":{"url":"https://x"}}]}]""", "", "messages[0].content[0].type")]
    [InlineData("""[{"role":"user","content":[{"text":"no type"}]}]""", "", "messages[0].content[0].type")]
    public async Task a_chat_completion_gets_a_400_naming_the_param(string messages, string extra, string param)
    {
        var (model, key, upstream) = await Routed("openai");

        var response = await fx.ProxyClient(key).PostAsync("/v1/chat/completions", Body(model, $"\"messages\":{messages}", extra));

        Assert.Equal(400, (int)response.StatusCode);
        var error = (await response.Json()).GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal(0, provider.CallsTo(upstream));
    }

    [Theory]
    [InlineData(Hello, "\"max_tokens\":-1", "max_tokens")]
    [InlineData(Hello, "\"max_tokens\":\"lots\"", "max_tokens")]
    [InlineData(Hello, "\"max_tokens\":1e300", "max_tokens")]
    [InlineData(Hello, "\"max_tokens\":0", "max_tokens")]
    [InlineData(Hello, "\"max_tokens\":9223372036854775807", "max_tokens")]
    [InlineData(Hello, "", "max_tokens")]
    [InlineData(Hello, "\"max_tokens\":64,\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":\"a lot\"}", "thinking.budget_tokens")]
    [InlineData(Hello, "\"max_tokens\":64,\"system\":5", "system")]
    [InlineData(Hello, "\"max_tokens\":64,\"stream\":\"yes\"", "stream")]
    [InlineData("\"x\"", "\"max_tokens\":64", "messages")]
    [InlineData("""[{"role":"user","content":[{"type":"container_upload","file_id":"f"}]}]""", "\"max_tokens\":64", "messages[0].content[0].type")]
    public async Task an_anthropic_message_gets_a_400_in_anthropics_shape_naming_the_param(string messages, string extra, string param)
    {
        var (model, key, upstream) = await Routed("anthropic");
        var client = fx.ProxyClient();
        client.DefaultRequestHeaders.Add("x-api-key", key);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");

        var response = await client.PostAsync("/v1/messages", Body(model, $"\"messages\":{messages}", extra));

        Assert.Equal(400, (int)response.StatusCode);
        var answer = await response.Json();
        Assert.Equal("error", answer.GetProperty("type").GetString());
        Assert.Equal("invalid_request_error", answer.GetProperty("error").GetProperty("type").GetString());
        // Anthropic names the field at fault at the start of its message.
        Assert.StartsWith(param + ":", answer.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(0, provider.CallsTo(upstream));
    }

    [Theory]
    [InlineData("", "input")]
    [InlineData("\"input\":[]", "input")]
    [InlineData("\"input\":true", "input")]
    [InlineData("\"input\":[1.5]", "input[0]")]
    [InlineData("\"input\":[-1]", "input[0]")]
    [InlineData("\"input\":[\"a\",1]", "input[1]")]
    [InlineData("\"input\":[[]]", "input[0]")]
    [InlineData("\"input\":[[1,\"2\"]]", "input[0][1]")]
    [InlineData("\"input\":\"a\",\"dimensions\":0", "dimensions")]
    [InlineData("\"input\":\"a\",\"dimensions\":\"256\"", "dimensions")]
    public async Task an_embeddings_request_gets_a_400_naming_the_param(string fields, string param)
    {
        var (model, key, upstream) = await Routed("openai");

        var response = await fx.ProxyClient(key).PostAsync("/v1/embeddings", Body(model, fields));

        Assert.Equal(400, (int)response.StatusCode);
        var error = (await response.Json()).GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(0, provider.CallsTo(upstream));
    }

    [Theory]
    [InlineData("\"max_tokens\":10,\"max_tokens\":100000")]
    [InlineData("\"max_tokens\":10,\"metadata\":{\"a\":1,\"a\":2}")]
    public async Task a_field_named_twice_is_a_400_not_a_guess_at_which_one_the_provider_reads(string fields)
    {
        var (model, key, upstream) = await Routed("openai");

        var response = await fx.ProxyClient(key).PostAsync("/v1/chat/completions", Body(model, $"\"messages\":{Hello}", fields));

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("invalid_request_error", (await response.Json()).GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(0, provider.CallsTo(upstream));
    }

    [Fact]
    public async Task sensible_numbers_still_go_through()
    {
        var (model, key, upstream) = await Routed("openai");

        var response = await fx.ProxyClient(key).PostAsync("/v1/chat/completions",
            Body(model, $"\"messages\":{Hello}", "\"n\":2,\"max_tokens\":64,\"max_completion_tokens\":32"));

        Assert.Equal(200, (int)response.StatusCode);
        var forwarded = JsonSerializer.Serialize(provider.Requests.Single(r => r.Model == upstream).Body);
        Assert.Contains("\"max_tokens\":64", forwarded);
    }
}
