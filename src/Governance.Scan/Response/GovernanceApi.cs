using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Governance.Scan.Response;

/// <summary>
/// The governance API's key endpoints: <c>GET /api/keys/{id}</c> and <c>POST /api/keys/{id}/revoke</c>. The operator
/// token goes in the Authorization header of each request and nowhere else; redirects are not followed (a redirect
/// would be answered as an error, and the token never leaves for another host).
/// </summary>
public sealed class GovernanceApi(HttpClient http, string token) : IKeyAuthority
{
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

    private async Task<KeyState> SendAsync(HttpRequestMessage request, string keyId, CancellationToken ct)
    {
        using (request)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, ct);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                throw new ApiException($"the API at {http.BaseAddress} could not be reached: {e.Message}");
            }
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
