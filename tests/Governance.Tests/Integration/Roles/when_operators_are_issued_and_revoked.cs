using Governance.Domain.Operators;

namespace Governance.Tests.Integration.Roles;

[Collection(GovernanceCollection.Name)]
public sealed class when_operators_are_issued_and_revoked(GovernanceFixture fx)
{
    public static TheoryData<string> EveryRole() => new(OperatorRoles.All);

    [Theory]
    [MemberData(nameof(EveryRole))]
    public async Task an_operator_with_any_role_gets_a_token_shown_once(string role)
    {
        string[]? apps = role == OperatorRoles.AppOwner ? [Api.Unique("app")] : null;
        var name = Api.Unique("person");

        var created = await fx.Api.Post("/api/operators", new { name, roles = new[] { role }, apps }, 201);
        var body = await created.Body();
        var id = body.GetProperty("id").GetString()!;
        var token = body.GetProperty("token").GetString()!;

        Assert.Matches("^gop_[0-9A-Za-z]{40}$", token);
        Assert.Equal(OperatorToken.IdFor(token), id);
        Assert.Equal($"/api/operators/{id}", created.Context.Response.Headers.Location.ToString());
        var details = body.GetProperty("details");
        Assert.Equal([role], details.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(apps ?? [], details.GetProperty("apps").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("active", details.GetProperty("status").GetString());
        Assert.StartsWith("op_", details.GetProperty("issuedBy").GetString());

        var single = await (await fx.Api.Get($"/api/operators/{id}")).ReadAsTextAsync();
        var listed = await (await fx.Api.Get("/api/operators")).ReadAsTextAsync();
        foreach (var shown in new[] { single, listed })
        {
            Assert.Contains(name, shown);
            Assert.DoesNotContain(token, shown);
            Assert.DoesNotContain(OperatorToken.HashOf(token), shown);
        }
        // The new token authenticates (the role matrix covers what each role may do).
        Assert.NotEqual(401, (await fx.Api.Send("GET", "/api/operators", null, token)).Context.Response.StatusCode);
    }

    [Fact]
    public async Task a_revoked_token_is_refused_from_the_next_call_and_revoking_again_changes_nothing()
    {
        var auditor = await fx.IssueOperator(OperatorRoles.Auditor);
        await fx.Api.Get("/api/operators", 200, auditor.Token);

        var revoked = await fx.Api.Post($"/api/operators/{auditor.Id}/revoke", new { reason = "left the team" }, 200).Json();
        Assert.Equal("revoked", revoked.GetProperty("status").GetString());
        Assert.Equal("left the team", revoked.GetProperty("revokeReason").GetString());
        Assert.Equal(fx.Clock.GetUtcNow(), revoked.GetProperty("revokedAt").GetDateTimeOffset());

        var refused = await fx.Api.Get("/api/operators", 401, auditor.Token);
        Assert.Equal("unauthorized", (await refused.Body()).GetProperty("code").GetString());

        fx.Clock.Advance(TimeSpan.FromSeconds(1));
        var again = await fx.Api.Post($"/api/operators/{auditor.Id}/revoke", new { reason = "twice" }, 200).Json();
        Assert.Equal("left the team", again.GetProperty("revokeReason").GetString());
        Assert.Equal(revoked.GetProperty("revokedAt").GetDateTimeOffset(), again.GetProperty("revokedAt").GetDateTimeOffset());
        await using var session = fx.Store.QuerySession();
        Assert.Equal(2, (await session.Events.FetchStreamAsync(auditor.Id)).Count);
    }

    [Fact]
    public async Task an_admin_can_be_revoked_while_another_admin_remains()
    {
        var admin = await fx.IssueOperator(OperatorRoles.Admin);

        await fx.Api.Post($"/api/operators/{admin.Id}/revoke", new { reason = "rotating my own token" }, 200, admin.Token);

        await fx.Api.Get("/api/operators", 401, admin.Token);
    }

    [Fact]
    public async Task an_unknown_operator_is_404() =>
        await fx.Api.Post("/api/operators/op_0000000000000000/revoke", new { reason = "r" }, 404);

    public static TheoryData<object, string[]> BadOperators() => new()
    {
        { new { }, ["name", "roles"] },
        { new { name = " padded ", roles = new[] { "auditor" } }, ["name"] },
        { new { name = "x", roles = Array.Empty<string>() }, ["roles"] },
        { new { name = "x", roles = new[] { "root" } }, ["roles[0]"] },
        { new { name = "x", roles = new[] { "auditor", "Admin" } }, ["roles[1]"] },
        { new { name = "x", roles = new[] { "app-owner" } }, ["apps"] },
        { new { name = "x", roles = new[] { "app-owner" }, apps = Array.Empty<string>() }, ["apps"] },
        { new { name = "x", roles = new[] { "app-owner" }, apps = new[] { "" } }, ["apps[0]"] },
        { new { name = "x", roles = new[] { "auditor" }, apps = new[] { "billing" } }, ["apps"] },
    };

    [Theory]
    [MemberData(nameof(BadOperators))]
    public async Task bad_input_is_400_naming_each_field(object body, string[] fields)
    {
        var problem = await (await fx.Api.Post("/api/operators", body, 400)).Body();

        Assert.Equal(fields.Order(), problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order());
    }

    [Fact]
    public async Task a_revocation_needs_a_reason()
    {
        var adapter = await fx.IssueOperator(OperatorRoles.Adapter);

        var problem = await (await fx.Api.Post($"/api/operators/{adapter.Id}/revoke", new { }, 400)).Body();

        Assert.Equal(["reason"], problem.GetProperty("errors").EnumerateObject().Select(p => p.Name));
        await fx.Api.Post("/api/authorize", new { }, 400, adapter.Token);
    }
}
