using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Governance.Tests.Integration.Proxy;

/// <summary>
/// End users and tags (docs/attribution.md): read from the body or the gateway's own headers, merged with the key's tags,
/// recorded as a keyed pseudonym and tags on the ledger entry, never forwarded, filterable in the request log, and the
/// readable id erasable.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_requests_are_attributed(GovernanceFixture fx, FakeProvider provider) : IClassFixture<FakeProvider>
{
    private async Task<(string Model, string Upstream, Api.Issued Key, string App)> Setup()
    {
        var upstream = Api.Unique("gpt");
        var model = await fx.Model([new(await fx.Provider(provider.BaseUrl), upstream)]);
        var app = Api.Unique("app");
        return (model, upstream, await fx.IssueKey(app, model), app);
    }

    private Task<HttpResponseMessage> Call(Api.Issued key, string json, string? tags = null, string? user = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Routing.JsonBody(json) };
        if (tags is not null)
            request.Headers.Add("x-governance-tags", tags);
        if (user is not null)
            request.Headers.Add("x-governance-user", user);
        return fx.ProxyClient(key.Key).SendAsync(request);
    }

    [Fact]
    public async Task the_end_user_is_recorded_as_a_pseudonym_with_the_tags_and_the_gateways_headers_never_reach_the_provider()
    {
        var (model, upstream, key, app) = await Setup();
        await fx.Api.Put($"/api/keys/{key.Id}/tags", new { tags = new[] { "env:prod" } }, 200);

        var answer = await Call(key, Routing.ChatJson(model, "hi", extra: ",\"user\":\"alice@example.com\""), tags: "project:apollo, team:search");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);

        var recorded = await fx.RecordedEventually(answer.RequestId());
        Assert.StartsWith("eu_", recorded.User);
        Assert.Equal(["env:prod", "project:apollo", "team:search"], recorded.Tags);
        var sent = provider.Requests.Single(r => r.Model == upstream);
        Assert.DoesNotContain(sent.Headers.Keys, h => h.StartsWith("x-governance-", StringComparison.OrdinalIgnoreCase));

        // The request log finds it by the id the app sent (with its app), by pseudonym and by tag, and shows the readable id.
        foreach (var query in new[] { $"user=alice@example.com&app={app}", $"user={recorded.User}", "tag=project:apollo" })
        {
            var page = await fx.Api.Get($"/api/requests?{query}&key={key.Id}").Json();
            var item = Assert.Single(page.GetProperty("items").EnumerateArray());
            Assert.Equal(recorded.Id, item.GetProperty("id").GetString());
            Assert.Equal("alice@example.com", item.GetProperty("endUser").GetString());
        }
        Assert.Empty((await fx.Api.Get($"/api/requests?tag=project:other&key={key.Id}").Json()).GetProperty("items").EnumerateArray());

        // The id the app sent is in no event: the history carries the pseudonym only.
        Assert.Equal(0, await EventsMentioning("alice@example.com"));
    }

    [Fact]
    public async Task erasing_an_end_user_deletes_the_readable_id_records_who_erased_it_and_keeps_the_spend()
    {
        var (model, _, key, app) = await Setup();
        var answer = await Call(key, Routing.ChatJson(model, "hi"), user: "bob-42");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var recorded = await fx.RecordedEventually(answer.RequestId());

        var erased = await fx.Api.Post("/api/end-users/erase", new { app, user = "bob-42" }, 200).Json();
        Assert.Equal(recorded.User, erased.GetProperty("user").GetString());
        Assert.True(erased.GetProperty("mappingExisted").GetBoolean());

        var item = Assert.Single((await fx.Api.Get($"/api/requests?user={recorded.User}").Json()).GetProperty("items").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, item.GetProperty("endUser").ValueKind);
        Assert.Equal(recorded.Cost, item.GetProperty("cost").GetDecimal());
        Assert.Equal(0, await EventsMentioning("bob-42"));
        Assert.Equal(1, await EventsMentioning(recorded.User!, "end_user_erased"));
    }

    [Fact]
    public async Task a_key_that_requires_a_tag_refuses_a_request_without_it_naming_the_header_and_nothing_is_sent()
    {
        var (model, upstream, key, _) = await Setup();
        await fx.Api.Put($"/api/keys/{key.Id}/tags", new { requiredTags = new[] { "project" } }, 200);

        var refused = await Call(key, Routing.ChatJson(model, "hi"), tags: "env:dev");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var error = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        Assert.Equal("x-governance-tags", error.GetProperty("param").GetString());
        Assert.Contains("project", error.GetProperty("message").GetString());
        Assert.Equal(0, provider.CallsTo(upstream));

        Assert.Equal(HttpStatusCode.OK, (await Call(key, Routing.ChatJson(model, "hi"), tags: "project:apollo")).StatusCode);
    }

    [Theory]
    [InlineData("x-governance-tags", "project")]
    [InlineData("x-governance-tags", "Project:apollo")]
    [InlineData("x-governance-tags", "a:1,a:2")]
    [InlineData("x-governance-tags", "a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8,i:9")]
    [InlineData("x-governance-user", "alice smith")]
    public async Task malformed_attribution_is_a_400_naming_the_header(string header, string value)
    {
        var (model, upstream, key, _) = await Setup();
        var refused = header == "x-governance-tags" ? await Call(key, Routing.ChatJson(model, "hi"), tags: value) : await Call(key, Routing.ChatJson(model, "hi"), user: value);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(header, (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("param").GetString());
        Assert.Equal(0, provider.CallsTo(upstream));
    }

    private async Task<int> EventsMentioning(string text, string? type = null)
    {
        await using var connection = new NpgsqlConnection(fx.ConnectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand(
            $"select count(*)::int from {fx.Schema}.mt_events where position(@text in data::text) > 0" + (type is null ? "" : " and type = @type"), connection);
        query.Parameters.AddWithValue("text", text);
        if (type is not null)
            query.Parameters.AddWithValue("type", type);
        return (int)(await query.ExecuteScalarAsync())!;
    }
}
