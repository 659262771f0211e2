using System.Text.Json;
using Governance.Domain.Operators;

namespace Governance.Tests.Integration.Roles;

/// <summary>Operator tokens for role tests, issued through the API by the fixture's admin.</summary>
public static class Operators
{
    public sealed record IssuedOperator(string Id, string Token);

    public static async Task<IssuedOperator> IssueOperator(this IAlbaHost api, string[] roles, string[]? apps = null,
        string adminToken = GovernanceFixture.AdminToken)
    {
        var json = await api.Post("/api/operators", new { name = Api.Unique(string.Join('+', roles)), roles, apps }, 201, adminToken).Json();
        return new IssuedOperator(json.GetProperty("id").GetString()!, json.GetProperty("token").GetString()!);
    }

    public static Task<IssuedOperator> IssueOperator(this GovernanceFixture fx, params string[] roles) => fx.Api.IssueOperator(roles);

    public static Task<IssuedOperator> IssueAppOwner(this GovernanceFixture fx, params string[] apps) =>
        fx.Api.IssueOperator([OperatorRoles.AppOwner], apps);

    public static Task<IScenarioResult> Send(this IAlbaHost host, string method, string url, object? body, string? token) =>
        host.Scenario(s =>
        {
            switch (method)
            {
                case "GET": s.Get.Url(url); break;
                case "POST": s.Post.Json(body ?? new { }).ToUrl(url); break;
                case "PUT": s.Put.Json(body ?? new { }).ToUrl(url); break;
                case "DELETE": s.Delete.Url(url); break;
                default: throw new ArgumentOutOfRangeException(nameof(method), method, null);
            }
            if (token is not null)
                s.WithRequestHeader("Authorization", "Bearer " + token);
            s.IgnoreStatusCode();
        });

    public static async Task<JsonElement> Body(this IScenarioResult result) => JsonDocument.Parse(await result.ReadAsTextAsync()).RootElement;
}
