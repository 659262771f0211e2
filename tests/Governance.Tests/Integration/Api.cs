using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Alba;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Governance.Domain.Usage;

namespace Governance.Tests.Integration;

/// <summary>Small helpers to drive the governance API as an operator would, over HTTP.</summary>
public static class Api
{
    public static string Unique(string prefix) => $"{prefix}-{RandomNumberGenerator.GetHexString(6, lowercase: true)}";

    /// <summary>A fresh request id in the one shape the API accepts (<see cref="RequestIds"/>).</summary>
    public static string RequestId() => RequestIds.New();

    public static Task<IScenarioResult> Post(this IAlbaHost host, string url, object body, int expectedStatus, string? token = GovernanceFixture.AdminToken) =>
        host.Scenario(s =>
        {
            s.Post.Json(body).ToUrl(url);
            if (token is not null)
                s.WithRequestHeader("Authorization", "Bearer " + token);
            s.StatusCodeShouldBe(expectedStatus);
        });

    public static Task<IScenarioResult> Get(this IAlbaHost host, string url, int expectedStatus = 200, string? token = GovernanceFixture.AdminToken) =>
        host.Scenario(s =>
        {
            s.Get.Url(url);
            if (token is not null)
                s.WithRequestHeader("Authorization", "Bearer " + token);
            s.StatusCodeShouldBe(expectedStatus);
        });

    public static async Task<JsonElement> Json(this Task<IScenarioResult> scenario) =>
        JsonDocument.Parse(await (await scenario).ReadAsTextAsync()).RootElement;

    /// <summary>Registers a provider pointing at <paramref name="baseUrl"/> and a model on it; returns the model name.</summary>
    public static async Task<string> ProviderAndModel(this GovernanceFixture fx, string? baseUrl = null, string upstreamModel = "gpt-4o-mini",
        decimal inputPrice = 0.15m, decimal outputPrice = 0.60m)
    {
        var provider = Unique("prov");
        await fx.Api.Post("/api/providers", new { name = provider, kind = "openai", baseUrl = baseUrl ?? fx.Upstream.BaseUrl, apiKey = "sk-provider-" + provider }, 201);
        var model = Unique("model");
        await fx.Api.Post("/api/models", new { name = model, provider, upstreamModel, inputPricePer1M = inputPrice, outputPricePer1M = outputPrice }, 201);
        return model;
    }

    /// <summary>Every endpoint the host serves, as "METHOD /route/{pattern}" (the names of role-matrix and sweep rows).</summary>
    public static HashSet<string> RunningEndpoints(this IAlbaHost host) =>
        host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"])
                .Select(method => $"{method} /{e.RoutePattern.RawText!.TrimStart('/')}"))
            .ToHashSet();

    public sealed record Issued(string Id, string Key);

    public static async Task<Issued> IssueKey(this GovernanceFixture fx, string app, params string[] models) =>
        await fx.IssueKey(app, models, null);

    public static async Task<Issued> IssueKey(this GovernanceFixture fx, string app, string[] models, DateTimeOffset? expiresAt)
    {
        var json = await fx.Api.Post("/api/keys", new { app, name = "test key", models, expiresAt }, 201).Json();
        return new Issued(json.GetProperty("id").GetString()!, json.GetProperty("key").GetString()!);
    }
}
