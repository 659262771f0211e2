using System.Text;
using Alba;
using Governance.Domain.Access;
using Governance.Domain.Keys;

namespace Governance.Tests.Integration.Proxy;

/// <summary>
/// Refusing costs the proxy nothing a caller can grow: the key is checked from the headers before the body is read, and
/// a body past the limit is refused as it arrives (docs/gateway.md, "Refusals from the headers", "Body size").
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_callers_are_refused_from_the_headers(GovernanceFixture fx)
{
    private const long TenMegabytes = 10L << 20;

    private static string Chat(string model) => Routing.ChatJson(model, "hi");

    [Theory]
    [InlineData("gk_not_a_key")]
    [InlineData("gk_0123456789abcdef_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef012345")]
    public async Task a_bad_key_is_refused_without_a_byte_of_its_body_being_read(string key)
    {
        var body = new WatchedBody(Encoding.UTF8.GetBytes(Chat("gpt-4o-mini")), TenMegabytes);

        var answer = await fx.Proxy.Send("/v1/chat/completions", body, ProxyRequests.Bearer(key), TenMegabytes);

        Assert.Equal(401, answer.Status);
        Assert.Equal(DenialReasons.UnknownKey, answer.Code);
        Assert.Equal(0, body.BytesRead);
    }

    [Fact]
    public async Task a_bad_key_gets_its_401_while_its_body_is_still_arriving()
    {
        var body = new WatchedBody(Encoding.UTF8.GetBytes("{\"model\":\"gpt-4o-mini\",\"messages\":["), 1024, endless: true);

        var answer = await fx.Proxy.Send("/v1/messages", body, request => request.Headers["x-api-key"] = "sk-ant-not-ours", contentLength: null);

        Assert.Equal(401, answer.Status);
        Assert.Equal("authentication_error", answer.Json.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task a_revoked_key_is_refused_without_its_body_being_read_and_its_connection_is_not_kept_for_the_rest()
    {
        var model = await fx.ProviderAndModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await fx.Api.Post($"/api/keys/{key.Id}/revoke", new { reason = "leaked" }, 200);
        var body = new WatchedBody(Encoding.UTF8.GetBytes(Chat(model)), TenMegabytes);

        var answer = await fx.Proxy.Send("/v1/chat/completions", body, ProxyRequests.Bearer(key.Key), TenMegabytes);

        Assert.Equal(401, answer.Status);
        Assert.Equal(DenialReasons.Revoked, answer.Code);
        Assert.Equal(0, body.BytesRead);
        Assert.Equal("close", answer.Headers.Connection.ToString());
    }

    [Fact]
    public async Task a_body_past_the_limit_is_refused_with_413_from_its_length_or_as_it_arrives()
    {
        await using var proxy = await fx.StartProxyAsync(Api.Unique("small"), configure: web => web.UseSetting("Proxy:MaxRequestBodyBytes", "4096"));
        var model = await fx.ProviderAndModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        var head = Encoding.UTF8.GetBytes(Chat(model));

        var declared = new WatchedBody(head, TenMegabytes);
        var byLength = await proxy.Send("/v1/chat/completions", declared, ProxyRequests.Bearer(key.Key), TenMegabytes);
        Assert.Equal(413, byLength.Status);
        Assert.Equal("request_too_large", byLength.Code);
        Assert.Equal("invalid_request_error", byLength.Json.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(0, declared.BytesRead);

        // Chunked: no length to go by, so it is read only until it passes the limit (the last read at most 64 KiB).
        var chunked = new WatchedBody(head, TenMegabytes);
        var asItArrives = await proxy.Send("/v1/chat/completions", chunked, ProxyRequests.Bearer(key.Key), contentLength: null);
        Assert.Equal(413, asItArrives.Status);
        Assert.Equal("request_too_large", asItArrives.Code);
        Assert.InRange(chunked.BytesRead, 4097, 4096 + 64 * 1024);

        var anthropic = await proxy.Send("/v1/messages", new WatchedBody(head, TenMegabytes), request => request.Headers["x-api-key"] = key.Key, contentLength: null);
        Assert.Equal(413, anthropic.Status);
        Assert.Equal("request_too_large", anthropic.Json.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task a_body_of_exactly_the_limit_is_forwarded()
    {
        await using var proxy = await fx.StartProxyAsync(Api.Unique("small"), configure: web => web.UseSetting("Proxy:MaxRequestBodyBytes", "4096"));
        var model = await fx.ProviderAndModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        var head = Encoding.UTF8.GetBytes(Chat(model));

        // Padded with spaces after the JSON object: still one JSON object.
        Assert.Equal(200, (await proxy.Send("/v1/chat/completions", new WatchedBody(head, 4096), ProxyRequests.Bearer(key.Key), 4096)).Status);
        Assert.Equal(200, (await proxy.Send("/v1/chat/completions", new WatchedBody(head, 4096), ProxyRequests.Bearer(key.Key), contentLength: null)).Status);
    }

    [Fact]
    public async Task a_key_with_a_valid_checksum_but_no_key_behind_it_is_unknown()
    {
        var answer = await fx.Proxy.Chat(KeyFormat.NewKey(KeyFormat.NewKeyId()), Chat("gpt-4o-mini"));

        Assert.Equal(401, answer.Status);
        Assert.Equal(DenialReasons.UnknownKey, answer.Code);
    }
}
