using System.Text;

namespace Governance.Tests.Integration.Proxy;

/// <summary>
/// What the proxy reads as a request body: a JSON media type (anything else is refused unread), one object nested at most
/// 64 levels deep (a deeper value is refused naming its top-level field; as deep as that is forwarded as is), every
/// property named once (the one named twice is named).
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_request_bodies_are_not_plain_json_objects(GovernanceFixture fx, FakeProvider provider) : IClassFixture<FakeProvider>
{
    private async Task<(string Model, string Key, string Upstream)> Routed()
    {
        var upstream = Api.Unique("up");
        var model = await fx.Model([new(await fx.Provider(provider.BaseUrl), upstream)]);
        return (model, (await fx.IssueKey(Api.Unique("app"), model)).Key, upstream);
    }

    /// <summary>A chat body whose <c>metadata</c> is <paramref name="levels"/> nested arrays, so the body is one level deeper.</summary>
    private static string Nested(string model, int levels) =>
        $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}],"metadata":{{new string('[', levels)}}{{new string(']', levels)}}}""";

    [Fact]
    public async Task a_body_as_deep_as_the_gateway_reads_is_forwarded_and_one_level_deeper_is_refused_naming_its_field()
    {
        var (model, key, upstream) = await Routed();

        var deepest = await fx.Proxy.Chat(key, Nested(model, 63));
        var deeper = await fx.Proxy.Chat(key, Nested(model, 64));

        Assert.Equal(200, deepest.Status);
        Assert.Equal(400, deeper.Status);
        Assert.Equal("metadata", deeper.Json.GetProperty("error").GetProperty("param").GetString());
        Assert.Equal("nested_too_deep", deeper.Code);
        Assert.Equal(1, provider.CallsTo(upstream));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task a_body_that_is_not_sent_as_json_is_refused_unread(string contentType)
    {
        var (model, key, upstream) = await Routed();
        var json = Routing.ChatJson(model, "hi");
        var body = new WatchedBody(json);

        var answer = await fx.Proxy.Send("/v1/chat/completions", body, request =>
        {
            ProxyRequests.Bearer(key)(request);
            request.ContentType = contentType;
        }, Encoding.UTF8.GetByteCount(json));

        Assert.Equal(415, answer.Status);
        Assert.Equal("unsupported_media_type", answer.Code);
        Assert.Equal("invalid_request_error", answer.Json.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(0, body.BytesRead);
        Assert.Equal(0, provider.CallsTo(upstream));
    }

    [Theory]
    [InlineData("""{"model":"M","messages":[{"role":"user","content":"hi","role":"system"}]}""", "messages[0].role")]
    [InlineData("""{"model":"M","messages":[{"role":"user","content":"hi"}],"metadata":{"a":{"b":1,"b":2}}}""", "metadata.a.b")]
    public async Task a_property_named_twice_is_named(string json, string param)
    {
        var (model, key, upstream) = await Routed();

        var answer = await fx.Proxy.Chat(key, json.Replace("\"M\"", $"\"{model}\""));

        Assert.Equal(400, answer.Status);
        Assert.Equal(param, answer.Json.GetProperty("error").GetProperty("param").GetString());
        Assert.Equal("duplicate_parameter", answer.Code);
        Assert.Equal(0, provider.CallsTo(upstream));
    }
}
