using System.Net.Http.Headers;
using System.Text.Json;
using Governance.AuditVerifier;

namespace Governance.Tests.Integration.Audit;

/// <summary>Exports, checkpoints and verification through the API, as an auditor would do them.</summary>
public static class AuditExports
{
    public static async Task<HttpResponseMessage> Send(this GovernanceFixture fx, HttpMethod method, string url, string? token = GovernanceFixture.AdminToken,
        string? correlationId = null)
    {
        // A plain client: query strings survive it (Alba's ToUrl does not route them).
        using var client = fx.Api.Server.CreateClient();
        using var request = new HttpRequestMessage(method, url);
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (correlationId is not null)
            request.Headers.Add("x-correlation-id", correlationId);
        return await client.SendAsync(request);
    }

    public static async Task<string> Export(this GovernanceFixture fx, string url = "/api/audit/events", string? token = GovernanceFixture.AdminToken)
    {
        using var response = await fx.Send(HttpMethod.Get, url, token);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{url}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        return body;
    }

    public static async Task<JsonElement> Checkpoint(this GovernanceFixture fx)
    {
        using var response = await fx.Send(HttpMethod.Post, "/api/audit/checkpoints");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement;
    }

    public static VerificationReport Verify(this GovernanceFixture fx, string export, VerifierOptions? options = null) =>
        ExportVerifier.Verify(new StringReader(export), options ?? new VerifierOptions(fx.AuditPublicKey));

    public static IReadOnlyList<JsonElement> Lines(string export) =>
        export.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
}
