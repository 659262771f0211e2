using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Governance.Projections.Alerts;

namespace Governance.Tests.Integration.Leaks;

/// <summary>A secret-scanning service calling <c>POST /api/leaks</c>: signs the exact body it sends, as GitHub does, or with the shared secret.</summary>
public static class LeakReporter
{
    public const string Url = "https://github.com/octo/app/blob/1a2b3c/config/.env";

    /// <summary>Headers for a body: which signature a request carries.</summary>
    public delegate IEnumerable<(string Name, string Value)> Signer(byte[] body);

    public static Signer Ecdsa(GovernanceFixture fx, ECDsa? key = null, string keyId = GovernanceFixture.LeakReporterKeyId) => body =>
    [
        ("Github-Public-Key-Identifier", keyId),
        ("Github-Public-Key-Signature", Convert.ToBase64String((key ?? fx.LeakReporterKey).SignData(body, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))),
    ];

    public static Signer Hmac(GovernanceFixture fx, string secret = GovernanceFixture.LeakReportSecret, TimeSpan? age = null) => body =>
        [("X-Governance-Signature", WebhookDelivery.Signature(secret, fx.Clock.GetUtcNow() - (age ?? TimeSpan.Zero), body))];

    public static object Token(string token, string type = "governance_virtual_key", string url = Url) => new { token, type, url, source = "content" };

    public static Task<(int Status, JsonElement Body)> ReportAsync(GovernanceFixture fx, Signer? signer, params object[] tokens) =>
        SendAsync(fx, JsonSerializer.SerializeToUtf8Bytes(tokens), signer);

    /// <summary>Sends <paramref name="body"/> signed over <paramref name="signedBody"/> (default: itself), to <paramref name="api"/> (default: the fixture's).</summary>
    public static async Task<(int Status, JsonElement Body)> SendAsync(
        GovernanceFixture fx, byte[] body, Signer? signer, byte[]? signedBody = null, Alba.IAlbaHost? api = null)
    {
        using var client = (api ?? fx.Api).Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/leaks") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (name, value) in signer?.Invoke(signedBody ?? body) ?? [])
            request.Headers.TryAddWithoutValidation(name, value);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement);
    }

    /// <summary>The label answered for each token, in order.</summary>
    public static string[] Labels(JsonElement answer) => answer.EnumerateArray().Select(o => o.GetProperty("label").GetString()!).ToArray();

    public static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
