using System.Text.Json;
using System.Text.RegularExpressions;
using Governance.Domain.Keys;

namespace Governance.Tests.Integration;

[Collection(GovernanceCollection.Name)]
public sealed class when_keys_are_managed(GovernanceFixture fx)
{
    [Fact]
    public async Task an_issued_key_is_shown_once_and_never_again()
    {
        var app = Api.Unique("app");
        var issued = await fx.IssueKey(app, "gpt-4o-mini");
        Assert.Matches(new Regex(KeyFormat.ScannerPattern), issued.Key);
        Assert.Equal(issued.Id, KeyFormat.TryGetKeyId(issued.Key));

        var single = await (await fx.Api.Get($"/api/keys/{issued.Id}")).ReadAsTextAsync();
        var listed = await (await fx.Api.Get($"/api/keys?app={app}")).ReadAsTextAsync();
        foreach (var body in new[] { single, listed })
        {
            Assert.DoesNotContain(issued.Key, body);
            Assert.DoesNotContain(KeyFormat.Hash(issued.Key), body);
        }
        var key = JsonDocument.Parse(single).RootElement;
        Assert.Equal("active", key.GetProperty("status").GetString());
        Assert.Equal(app, key.GetProperty("app").GetString());
        Assert.StartsWith("op_", key.GetProperty("issuedBy").GetString());
    }

    [Fact]
    public async Task keys_are_listed_by_app()
    {
        var app = Api.Unique("app");
        var a = await fx.IssueKey(app, "m1");
        // Listed oldest first; keys issued at the same instant have no defined order.
        fx.Clock.Advance(TimeSpan.FromMilliseconds(1));
        var b = await fx.IssueKey(app, "m2");
        await fx.IssueKey(Api.Unique("other"), "m1");

        var ids = (await fx.Api.Get($"/api/keys?app={app}").Json()).EnumerateArray().Select(k => k.GetProperty("id").GetString()).ToList();
        Assert.Equal([a.Id, b.Id], ids);
    }

    [Fact]
    public async Task the_key_lifecycle_is_recorded_as_events_with_actor_and_time()
    {
        var issued = await fx.IssueKey(Api.Unique("app"), "m1");
        await fx.Api.Post($"/api/keys/{issued.Id}/suspend", new { reason = "investigating" }, 200);
        await fx.Api.Post($"/api/keys/{issued.Id}/resume", new { }, 200);
        await fx.Api.Scenario(s =>
        {
            s.Put.Json(new { models = new[] { "m1", "m2" } }).ToUrl($"/api/keys/{issued.Id}/models");
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
        });
        await fx.Api.Post($"/api/keys/{issued.Id}/rotate", new { gracePeriodSeconds = 60 }, 200);
        var revoked = await fx.Api.Post($"/api/keys/{issued.Id}/revoke", new { reason = "leaked in a repo" }, 200).Json();
        Assert.Equal("revoked", revoked.GetProperty("status").GetString());
        Assert.Equal("leaked in a repo", revoked.GetProperty("statusReason").GetString());

        await using var session = fx.Store.QuerySession();
        var events = await session.Events.FetchStreamAsync(issued.Id);
        Assert.Equal(
            ["key_issued", "key_suspended", "key_resumed", "key_scope_changed", "key_rotated", "key_revoked"],
            events.Select(e => e.EventTypeName));
        var rawHistory = JsonSerializer.Serialize(events.Select(e => e.Data));
        Assert.DoesNotContain(issued.Key, rawHistory);
        Assert.All(events.Select(e => JsonSerializer.SerializeToElement(e.Data, e.EventType)), data =>
            Assert.Contains(data.EnumerateObject(), p => p.Name.EndsWith("By") && p.Value.GetString()!.StartsWith("op_")));
    }

    [Fact]
    public async Task revoking_twice_is_harmless_but_a_revoked_key_cannot_be_resumed()
    {
        var issued = await fx.IssueKey(Api.Unique("app"), "m1");
        await fx.Api.Post($"/api/keys/{issued.Id}/revoke", new { reason = "r" }, 200);
        await fx.Api.Post($"/api/keys/{issued.Id}/revoke", new { reason = "r" }, 200);
        var problem = await fx.Api.Post($"/api/keys/{issued.Id}/resume", new { }, 409).Json();
        Assert.Equal("key_revoked", problem.GetProperty("code").GetString());

        await using var session = fx.Store.QuerySession();
        Assert.Equal(2, (await session.Events.FetchStreamAsync(issued.Id)).Count);
    }

    [Theory]
    [InlineData("revoke")]
    [InlineData("suspend")]
    [InlineData("resume")]
    [InlineData("rotate")]
    public async Task commands_on_an_unknown_key_are_404(string command)
    {
        await fx.Api.Post($"/api/keys/doesnotexist0000/{command}", new { reason = "r", gracePeriodSeconds = 0 }, 404);
    }

    [Fact]
    public async Task reading_an_unknown_key_is_404() => await fx.Api.Get("/api/keys/doesnotexist0000", 404);

    [Fact]
    public async Task an_invalid_key_request_names_every_bad_field()
    {
        var problem = await fx.Api.Post("/api/keys", new { app = "", name = " padded ", models = Array.Empty<string>() }, 400).Json();
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("app", out _));
        Assert.True(errors.TryGetProperty("name", out _));
        Assert.True(errors.TryGetProperty("models", out _));
    }

    [Fact]
    public async Task an_expiry_in_the_past_is_refused()
    {
        var problem = await fx.Api.Post("/api/keys",
            new { app = "a", name = "n", models = new[] { "m" }, expiresAt = fx.Clock.GetUtcNow().AddMinutes(-1) }, 422).Json();
        Assert.Equal("expiry_in_past", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task a_rotation_grace_beyond_seven_days_is_refused()
    {
        var issued = await fx.IssueKey(Api.Unique("app"), "m1");
        var problem = await fx.Api.Post($"/api/keys/{issued.Id}/rotate", new { gracePeriodSeconds = 8 * 24 * 3600 }, 400).Json();
        Assert.True(problem.GetProperty("errors").TryGetProperty("gracePeriodSeconds", out _));
    }

    [Theory]
    [InlineData("{\"app\":")]
    [InlineData("null")]
    [InlineData("{\"app\":\"a\",\"name\":\"n\",\"models\":[\"m\"],\"expiresAt\":\"not a date\"}")]
    public async Task malformed_json_is_a_400_problem_and_writes_nothing(string json)
    {
        var app = Api.Unique("app");
        await fx.Api.Scenario(s =>
        {
            s.Post.Text(json.Replace("\"a\"", $"\"{app}\"")).ToUrl("/api/keys");
            s.WithRequestHeader("Content-Type", "application/json");
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
            s.StatusCodeShouldBe(400);
            s.ContentTypeShouldBe("application/problem+json");
        });
        Assert.Equal(0, (await fx.Api.Get($"/api/keys?app={app}").Json()).GetArrayLength());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-real-token")]
    public async Task the_api_requires_a_valid_operator_token(string? token)
    {
        await fx.Api.Post("/api/keys", new { app = "a", name = "n", models = new[] { "m" } }, 401, token);
        await fx.Api.Get("/api/keys", 401, token);
        await fx.Api.Post("/api/authorize", new { key = "x", model = "y" }, 401, token);
    }

    [Fact]
    public async Task concurrent_commands_on_one_key_never_lose_an_update()
    {
        var issued = await fx.IssueKey(Api.Unique("app"), "m1");
        var client = fx.Api.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", GovernanceFixture.AdminToken);

        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ =>
            client.PostAsJsonAsync($"/api/keys/{issued.Id}/rotate", new { gracePeriodSeconds = 60 })));

        Assert.All(responses, r => Assert.Contains((int)r.StatusCode, new[] { 200, 409 }));
        await using var session = fx.Store.QuerySession();
        var rotations = (await session.Events.FetchStreamAsync(issued.Id)).Count(e => e.EventTypeName == "key_rotated");
        Assert.Equal(responses.Count(r => (int)r.StatusCode == 200), rotations);
        // Only the key from the last successful rotation works; every 200 answer handed out a key that was current when issued.
        var keys = await Task.WhenAll(responses.Where(r => (int)r.StatusCode == 200).Select(async r => (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!));
        Assert.Equal(rotations, keys.Distinct().Count());
    }
}
