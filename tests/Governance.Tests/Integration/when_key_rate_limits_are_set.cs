using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Governance.Projections.Feed;

namespace Governance.Tests.Integration;

[Collection(GovernanceCollection.Name)]
public sealed class when_key_rate_limits_are_set(GovernanceFixture fx)
{
    private async Task<HttpResponseMessage> PutLimits(string keyId, object body)
    {
        using var client = fx.Api.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", GovernanceFixture.AdminToken);
        return await client.PutAsJsonAsync($"/api/keys/{keyId}/limits", body);
    }

    private static JsonElement Limits(JsonElement key) => key.GetProperty("rateLimits");

    [Fact]
    public async Task limits_named_at_issue_are_shown_with_the_key_and_unnamed_ones_are_unlimited()
    {
        var issued = await fx.Api.Post("/api/keys", new
        {
            app = Api.Unique("app"), name = "batch", models = new[] { "m" }, rateLimits = new { requestsPerMinute = 60, maxParallel = 4 },
        }, 201).Json();
        Assert.Equal(60, Limits(issued.GetProperty("details")).GetProperty("requestsPerMinute").GetInt64());

        var key = await fx.Api.Get($"/api/keys/{issued.GetProperty("id").GetString()}").Json();
        Assert.Equal(60, Limits(key).GetProperty("requestsPerMinute").GetInt64());
        Assert.Equal(JsonValueKind.Null, Limits(key).GetProperty("tokensPerMinute").ValueKind);
        Assert.Equal(4, Limits(key).GetProperty("maxParallel").GetInt32());
    }

    [Fact]
    public async Task an_admin_changes_them_and_adapters_learn_it_from_the_feed()
    {
        var issued = await fx.IssueKey(Api.Unique("app"), "m");
        var before = await HighestSequence();

        var response = await PutLimits(issued.Id, new { requestsPerMinute = 600, tokensPerMinute = 100_000, maxParallel = (int?)null });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var shown = Limits(await fx.Api.Get($"/api/keys/{issued.Id}").Json());
        Assert.Equal(100_000, shown.GetProperty("tokensPerMinute").GetInt64());

        var hub = fx.Api.Services.GetRequiredService<FeedHub>();
        var target = await HighestSequence();
        await hub.WaitForMarkAsync(target, TimeSpan.FromSeconds(10));
        var page = await fx.Api.Get($"/api/feed?after={before}&wait=false&limit=1000").Json();
        var change = page.GetProperty("changes").EnumerateArray().Single(c => c.GetProperty("type").GetString() == "key_rate_limits_set");
        Assert.Equal(issued.Id, change.GetProperty("stream").GetString());
        Assert.Equal(600, change.GetProperty("key").GetProperty("rateLimits").GetProperty("requestsPerMinute").GetInt64());
    }

    [Theory]
    [InlineData("requestsPerMinute", -1L)]
    [InlineData("tokensPerMinute", 20_000_000_000L)]
    [InlineData("maxParallel", 1_000_000L)]
    public async Task a_limit_out_of_range_is_a_400_naming_the_field(string field, long value)
    {
        var issued = await fx.IssueKey(Api.Unique("app"), "m");

        var response = await PutLimits(issued.Id, new Dictionary<string, object> { [field] = value });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task a_bad_limit_at_issue_is_a_400_naming_the_nested_field()
    {
        using var client = fx.Api.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", GovernanceFixture.AdminToken);
        var response = await client.PostAsJsonAsync("/api/keys", new { app = Api.Unique("app"), name = "x", models = new[] { "m" }, rateLimits = new { maxParallel = -2 } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("rateLimits.maxParallel", out _), problem.ToString());
    }

    private async Task<long> HighestSequence()
    {
        await using var connection = fx.Store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"select coalesce(max(seq_id), 0) from {fx.Schema}.mt_events";
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
