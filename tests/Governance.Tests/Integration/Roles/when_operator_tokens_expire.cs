using System.Net.Http.Json;
using System.Text.Json;
using Governance.Domain.Operators;

namespace Governance.Tests.Integration.Roles;

/// <summary>Every issued operator token expires: by default after 90 days, at most after 365; then it is refused.</summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_operator_tokens_expire(GovernanceFixture fx)
{
    [Fact]
    public async Task a_token_is_refused_from_its_expiry_on_and_shows_as_expired()
    {
        var expiresAt = fx.Clock.GetUtcNow().AddSeconds(1);
        var issued = await fx.Api.Post("/api/operators", new { name = Api.Unique("temp"), roles = new[] { OperatorRoles.Auditor }, expiresAt }, 201).Json();
        var (id, token) = (issued.GetProperty("id").GetString()!, issued.GetProperty("token").GetString()!);
        Assert.Equal(expiresAt, issued.GetProperty("details").GetProperty("expiresAt").GetDateTimeOffset());
        await fx.Api.Get("/api/operators", 200, token);

        fx.Clock.Advance(TimeSpan.FromSeconds(1));

        await fx.Api.Get("/api/operators", 401, token);
        Assert.Equal("expired", (await fx.Api.Get($"/api/operators/{id}").Json()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task a_token_lives_ninety_days_by_default_and_at_most_a_year()
    {
        var now = fx.Clock.GetUtcNow();
        var byDefault = await fx.Api.Post("/api/operators", new { name = Api.Unique("default"), roles = new[] { OperatorRoles.Auditor } }, 201).Json();
        Assert.Equal(now.AddDays(90), byDefault.GetProperty("details").GetProperty("expiresAt").GetDateTimeOffset());

        foreach (var expiresAt in new[] { now.AddDays(366), now.AddSeconds(-1) })
        {
            var refused = await fx.Api.Post("/api/operators", new { name = Api.Unique("forever"), roles = new[] { OperatorRoles.Admin }, expiresAt }, 422).Json();
            Assert.Equal("expiry_out_of_range", refused.GetProperty("code").GetString());
            Assert.True(refused.GetProperty("errors").TryGetProperty("expiresAt", out _), refused.ToString());
        }
    }

    [Fact]
    public async Task an_adapter_id_whose_token_expired_can_be_given_a_new_token()
    {
        var adapterId = Api.Unique("adapter");
        var expiresAt = fx.Clock.GetUtcNow().AddSeconds(1);
        await fx.Api.Post("/api/operators", new { name = adapterId, roles = new[] { OperatorRoles.Adapter }, adapterId, expiresAt }, 201);
        await fx.Api.Post("/api/operators", new { name = adapterId, roles = new[] { OperatorRoles.Adapter }, adapterId }, 409);

        fx.Clock.Advance(TimeSpan.FromSeconds(1));

        await fx.Api.Post("/api/operators", new { name = adapterId, roles = new[] { OperatorRoles.Adapter }, adapterId }, 201);
    }

    [Fact]
    public async Task me_tells_a_token_when_it_expires()
    {
        var expiresAt = fx.Clock.GetUtcNow().AddDays(30);
        var issued = await fx.Api.Post("/api/operators", new { name = "dana laptop", person = "dana", roles = new[] { OperatorRoles.Auditor }, expiresAt }, 201).Json();

        using var client = fx.Api.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", issued.GetProperty("token").GetString());
        var me = await client.GetFromJsonAsync<JsonElement>("/api/me");

        Assert.Equal(expiresAt, me.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Equal("dana", me.GetProperty("person").GetString());
    }
}
