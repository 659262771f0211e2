namespace Governance.Tests.Integration;

[Collection(GovernanceCollection.Name)]
public sealed class when_a_gateway_asks_allow_or_deny(GovernanceFixture fx)
{
    private async Task<(bool Allowed, string? Reason, string? KeyId)> Authorize(string key, string model)
    {
        var json = await fx.Api.Post("/api/authorize", new { key, model }, 200).Json();
        return (json.GetProperty("allowed").GetBoolean(), json.GetProperty("reason").GetString(), json.GetProperty("keyId").GetString());
    }

    [Fact]
    public async Task a_fresh_key_may_call_its_models_and_nothing_else()
    {
        var model = await fx.ProviderAndModel();
        var other = await fx.ProviderAndModel();
        var issued = await fx.IssueKey(Api.Unique("app"), model);

        Assert.Equal((true, null, issued.Id), await Authorize(issued.Key, model));
        Assert.Equal((false, "model_not_allowed", issued.Id), await Authorize(issued.Key, other));
        Assert.Equal((false, "unknown_model", issued.Id), await Authorize(issued.Key, "no-such-model"));
    }

    [Fact]
    public async Task unknown_or_forged_keys_are_denied_without_revealing_anything()
    {
        var model = await fx.ProviderAndModel();
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        var forged = Governance.Domain.Keys.KeyFormat.NewKey(issued.Id); // right id, wrong secret

        Assert.Equal((false, "unknown_key", null), await Authorize("sk-not-ours", model));
        Assert.Equal((false, "unknown_key", null), await Authorize(forged, model));
        Assert.Equal((false, "unknown_key", null), await Authorize(issued.Key[..^1] + (issued.Key[^1] == 'a' ? 'b' : 'a'), model));
    }

    [Fact]
    public async Task revoked_and_suspended_keys_are_denied_and_resumed_keys_work_again()
    {
        var model = await fx.ProviderAndModel();
        var issued = await fx.IssueKey(Api.Unique("app"), model);

        await fx.Api.Post($"/api/keys/{issued.Id}/suspend", new { reason = "audit" }, 200);
        Assert.Equal("suspended", (await Authorize(issued.Key, model)).Reason);
        await fx.Api.Post($"/api/keys/{issued.Id}/resume", new { }, 200);
        Assert.True((await Authorize(issued.Key, model)).Allowed);
        await fx.Api.Post($"/api/keys/{issued.Id}/revoke", new { reason = "leak" }, 200);
        Assert.Equal("revoked", (await Authorize(issued.Key, model)).Reason);
    }

    [Fact]
    public async Task a_key_is_denied_once_its_expiry_passes_even_without_an_event()
    {
        var model = await fx.ProviderAndModel();
        var issued = await fx.IssueKey(Api.Unique("app"), [model], fx.Clock.GetUtcNow().AddHours(1));

        Assert.True((await Authorize(issued.Key, model)).Allowed);
        fx.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal("expired", (await Authorize(issued.Key, model)).Reason);
    }

    [Fact]
    public async Task a_changed_scope_applies_to_the_next_decision()
    {
        var first = await fx.ProviderAndModel();
        var second = await fx.ProviderAndModel();
        var issued = await fx.IssueKey(Api.Unique("app"), first);

        await fx.Api.Scenario(s =>
        {
            s.Put.Json(new { models = new[] { second } }).ToUrl($"/api/keys/{issued.Id}/models");
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
        });
        Assert.Equal("model_not_allowed", (await Authorize(issued.Key, first)).Reason);
        Assert.True((await Authorize(issued.Key, second)).Allowed);
    }

    [Fact]
    public async Task a_missing_field_is_a_400_naming_it()
    {
        var problem = await fx.Api.Post("/api/authorize", new { key = "gk_x" }, 400).Json();
        Assert.True(problem.GetProperty("errors").TryGetProperty("model", out _));
    }
}
