using Governance.Projections.Usage;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Governance.Domain.Usage;
using Marten;

namespace Governance.Tests.Integration.Proxy;

/// <summary>Catalog set-up and proxy calls for gateway tests, through the governance API and the proxy as users would.</summary>
public static class Routing
{
    public sealed record Upstream(string Provider, string UpstreamModel, int Weight = 1);

    public static async Task<string> Provider(this GovernanceFixture fx, string baseUrl, string kind = "openai")
    {
        var name = Api.Unique("prov");
        await fx.Api.Post("/api/providers", new { name, kind, baseUrl, apiKey = "sk-provider-" + name }, 201);
        return name;
    }

    /// <summary>A priced model routed to <paramref name="deployments"/> (registered with the first, then given all of them).</summary>
    public static async Task<string> Model(this GovernanceFixture fx, Upstream[] deployments, decimal inputPrice = 0.15m, decimal outputPrice = 0.60m,
        decimal? cachedPrice = null)
    {
        var model = Api.Unique("model");
        await fx.Api.Post("/api/models", new
        {
            name = model, provider = deployments[0].Provider, upstreamModel = deployments[0].UpstreamModel,
            inputPricePer1M = inputPrice, outputPricePer1M = outputPrice, cachedInputPricePer1M = cachedPrice,
        }, 201);
        if (deployments.Length > 1 || deployments[0].Weight != 1)
            await fx.Api.Put($"/api/models/{model}/deployments", new
            {
                deployments = deployments.Select(d => new { provider = d.Provider, upstreamModel = d.UpstreamModel, weight = d.Weight }),
            }, 200);
        return model;
    }

    public static Task<IScenarioResult> Put(this IAlbaHost host, string url, object body, int expectedStatus, string? token = GovernanceFixture.AdminToken) =>
        host.Scenario(s =>
        {
            s.Put.Json(body).ToUrl(url);
            if (token is not null)
                s.WithRequestHeader("Authorization", "Bearer " + token);
            s.StatusCodeShouldBe(expectedStatus);
        });

    public static HttpClient ProxyClient(this GovernanceFixture fx, string virtualKey)
    {
        var client = fx.ProxyClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", virtualKey);
        return client;
    }

    public static StringContent JsonBody(string json) => new(json, Encoding.UTF8, "application/json");

    public static string ChatJson(string model, string prompt, bool stream = false, string extra = "") =>
        $$"""{"model":"{{model}}","messages":[{"role":"user","content":"{{prompt}}"}]{{(stream ? ",\"stream\":true" : "")}}{{extra}}}""";

    /// <summary>The request as the ledger recorded it (its event), or null when it is not recorded.</summary>
    public static async Task<RequestRecord?> Recorded(this GovernanceFixture fx, string requestId)
    {
        await using var session = fx.Store.QuerySession();
        return (await RequestLog.RecordedAsync(session, [requestId], default)).Select(RequestRecord.From).SingleOrDefault();
    }

    /// <summary>
    /// For a request the proxy records after its client has gone (an abort), the test cannot wait on the response:
    /// poll the ledger until the entry is there, up to a generous deadline.
    /// </summary>
    public static Task<RequestRecord> RecordedEventually(this GovernanceFixture fx, string requestId) =>
        Wait.For(() => fx.Recorded(requestId), $"request {requestId} to be recorded");

    /// <summary>
    /// The key's only logged request, once recorded. A streaming client is done when it reads <c>[DONE]</c>, which may
    /// be before the proxy has written the call to the ledger.
    /// </summary>
    public static Task<RequestRecord> OnlyRecordedForKeyEventually(this GovernanceFixture fx, string keyId) =>
        Wait.For(async () =>
        {
            await using var session = fx.Store.QuerySession();
            return (await RequestLog.PageAsync(session, new RequestFilter(KeyId: keyId), null, 2, default))!.SingleOrDefault();
        }, $"a request of key {keyId} to be recorded");

    public static string RequestId(this HttpResponseMessage response) => Assert.Single(response.Headers.GetValues("x-request-id"));

    public static async Task<JsonElement> Json(this HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    /// <summary>An event's data payloads from a complete SSE body.</summary>
    public static List<string> SseData(string body) =>
        body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(e => e.Split('\n').Where(l => l.StartsWith("data: ")).Select(l => l["data: ".Length..]))
            .ToList();
}
