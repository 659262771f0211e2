using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Governance.Scan.Response;

/// <summary>
/// The governance API's key endpoints, <c>GET /api/keys/{id}</c> and <c>POST /api/keys/{id}/revoke</c>, and its provider
/// key match, <c>POST /api/providers/match</c>. The operator token goes in the Authorization header of each request and
/// nowhere else; redirects are not followed (a redirect would be answered as an error, and the token never leaves for
/// another host).
/// </summary>
public sealed class GovernanceApi(HttpClient http, string token) : IKeyAuthority, IProviderKeyRegistry
{
    /// <summary>The API matches at most this many fingerprints a call.</summary>
    public const int MatchBatch = 1000;

    public static HttpClient CreateClient(Uri api) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(10) })
        {
            BaseAddress = api,
            Timeout = TimeSpan.FromSeconds(30),
        };

    public async Task<KeyState> LookupAsync(string keyId, CancellationToken ct) =>
        await SendAsync(new HttpRequestMessage(HttpMethod.Get, $"api/keys/{keyId}"), keyId, ct);

    public async Task<KeyState> RevokeAsync(string keyId, string reason, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"api/keys/{keyId}/revoke")
        {
            Content = new StringContent(new JsonObject { ["reason"] = reason }.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        return await SendAsync(request, keyId, ct);
    }

    public async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>?> MatchAsync(IReadOnlyCollection<string> fingerprints, CancellationToken ct)
    {
        var matches = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var chunk in fingerprints.Chunk(MatchBatch))
        {
            var body = new JsonObject { ["fingerprints"] = new JsonArray(chunk.Select(f => (JsonNode)f!).ToArray()) };
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/providers/match")
            {
                Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
            };
            using var response = await SendRawAsync(request, ct);
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK:
                    foreach (var (fingerprint, providers) in await MatchesAsync(response, ct))
                        matches[fingerprint] = providers;
                    break;
                case HttpStatusCode.Forbidden:
                    return null;
                case HttpStatusCode.Unauthorized:
                    throw new ApiException("the API did not accept the token (401): unknown or revoked operator token");
                case var status:
                    throw new ApiException($"the API answered {(int)status} {response.ReasonPhrase} to the provider key match");
            }
        }
        return matches;
    }

    private static async Task<IEnumerable<(string, IReadOnlyList<string>)>> MatchesAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
            return body.RootElement.GetProperty("matches").EnumerateArray()
                .Select(m => (m.GetProperty("fingerprint").GetString()!,
                    (IReadOnlyList<string>)m.GetProperty("providers").EnumerateArray().Select(p => p.GetString()!).ToList()))
                .ToList();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new ApiException($"the API's answer to the provider key match is not one: {e.Message}");
        }
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, CancellationToken ct)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            return await http.SendAsync(request, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new ApiException($"the API at {http.BaseAddress} could not be reached: {e.Message}");
        }
    }

    private async Task<KeyState> SendAsync(HttpRequestMessage request, string keyId, CancellationToken ct)
    {
        using (request)
        {
            var response = await SendRawAsync(request, ct);
            using (response)
            {
                return response.StatusCode switch
                {
                    HttpStatusCode.OK => await StateAsync(response, keyId, ct),
                    HttpStatusCode.NotFound => KeyState.Unknown,
                    HttpStatusCode.Unauthorized => throw new ApiException("the API did not accept the token (401): unknown or revoked operator token"),
                    HttpStatusCode.Forbidden => throw new ApiException(
                        $"the token's roles may not {(request.Method == HttpMethod.Get ? "read" : "revoke")} keys (403): use a responder or admin token, or an app-owner token of the key's app"),
                    var status => throw new ApiException($"the API answered {(int)status} {response.ReasonPhrase} for key {keyId}"),
                };
            }
        }
    }

    private static async Task<KeyState> StateAsync(HttpResponseMessage response, string keyId, CancellationToken ct)
    {
        try
        {
            using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
            return body.RootElement.GetProperty("status").GetString() switch
            {
                "revoked" => KeyState.Revoked,
                "active" or "suspended" => KeyState.Live,
                var other => throw new ApiException($"the API gave key {keyId} a status this scanner does not know: '{other}'"),
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new ApiException($"the API's answer for key {keyId} is not a key: {e.Message}");
        }
    }
}
