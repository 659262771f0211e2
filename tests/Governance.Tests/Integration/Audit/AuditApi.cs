using System.Net;
using System.Text.Json;

namespace Governance.Tests.Integration.Audit;

/// <summary>Point-in-time and explanation calls (URLs with query strings go through a plain client: Alba's ToUrl drops them).</summary>
public static class AuditApi
{
    /// <summary>"?asOf=" with the instant in ISO-8601 round-trip form, '+' encoded.</summary>
    public static string AsOf(DateTimeOffset instant) => "asOf=" + Uri.EscapeDataString(instant.ToString("O"));

    public static async Task<JsonElement> GetJson(this GovernanceFixture fx, string url, HttpStatusCode expected = HttpStatusCode.OK,
        string token = GovernanceFixture.AdminToken)
    {
        using var client = fx.Api.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        using var response = await client.GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"GET {url}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public static Task<IScenarioResult> Put(this GovernanceFixture fx, string url, object body, int status = 200) => fx.Api.Scenario(s =>
    {
        s.Put.Json(body).ToUrl(url);
        s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
        s.StatusCodeShouldBe(status);
    });

    public static object Usage(string keyId, string model, long output, string? reservationId = null, string? requestId = null,
        DateTimeOffset? occurredAt = null) => new
    {
        requestId = requestId ?? Api.RequestId(), keyId, model, inputTokens = 0, cachedTokens = 0, outputTokens = output, reasoningTokens = 0,
        latencyMs = 12, status = 200, reservationId, occurredAt,
    };
}
