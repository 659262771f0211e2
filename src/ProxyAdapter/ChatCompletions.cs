using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Catalog;
using Governance.Domain.Usage;
using Governance.Projections;
using Marten;

namespace ProxyAdapter;

/// <summary>
/// POST /v1/chat/completions: decide from the projections, forward with the provider key swapped in,
/// return the provider's answer untouched, and record the priced request as an event.
/// </summary>
public static class ChatCompletions
{
    public const string RequestIdHeader = "x-request-id";

    public static async Task<IResult> Handle(
        HttpContext http, IDocumentSession session, IHttpClientFactory clients, SecretProtector secrets,
        TimeProvider clock, AdapterIdentity adapter, ILogger<AdapterIdentity> log)
    {
        var ct = http.RequestAborted;
        var requestId = "req_" + Guid.NewGuid().ToString("N");
        http.Response.Headers[RequestIdHeader] = requestId;

        var presentedKey = BearerToken(http.Request);
        if (presentedKey is null)
            return OpenAiErrors.Denied(401, "unknown_key");

        JsonObject? body;
        try
        {
            body = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: ct) as JsonObject;
        }
        catch (JsonException)
        {
            return OpenAiErrors.BadRequest("The request body is not valid JSON.");
        }
        if (body?["model"] is not JsonValue modelNode || !modelNode.TryGetValue(out string? model) || string.IsNullOrWhiteSpace(model))
            return OpenAiErrors.BadRequest("'model' is required.", "missing_model");
        if (body["stream"] is JsonValue stream && stream.TryGetValue(out bool streaming) && streaming)
            return OpenAiErrors.BadRequest("Streaming is not supported by this gateway yet; send stream=false.", "stream_unsupported");

        var (decision, definition) = await session.DecideAsync(presentedKey, model, clock.GetUtcNow(), ct);
        if (!decision.Allowed)
            return OpenAiErrors.Denied(decision.HttpStatus, decision.Reason!);

        var provider = await session.LoadAsync<Provider>(definition!.Provider, ct);
        if (provider is null)
            return OpenAiErrors.Result(502, "api_error", "provider_missing", "The model's provider is not configured.");

        body["model"] = definition.UpstreamModel;
        using var upstream = new HttpRequestMessage(HttpMethod.Post, provider.BaseUrl + "/chat/completions")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        upstream.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secrets.Unprotect(provider.EncryptedApiKey, provider.Id));

        var started = Stopwatch.GetTimestamp();
        HttpResponseMessage response;
        try
        {
            response = await clients.CreateClient(Upstream.ClientName).SendAsync(upstream, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            log.LogWarning("Provider {Provider} unreachable for {RequestId}: {Error}", provider.Id, requestId, e.Message);
            await Record(session, requestId, decision.KeyId!, decision.App!, definition, Usage.None, 502, started, clock, adapter, log);
            return OpenAiErrors.Result(502, "api_error", "provider_unreachable", "The upstream provider could not be reached.");
        }

        using (response)
        {
            var payload = await response.Content.ReadAsByteArrayAsync(ct);
            var usage = response.IsSuccessStatusCode ? Usage.Read(payload) : Usage.None;
            await Record(session, requestId, decision.KeyId!, decision.App!, definition, usage, (int)response.StatusCode, started, clock, adapter, log);
            http.Response.StatusCode = (int)response.StatusCode;
            http.Response.ContentType = response.Content.Headers.ContentType?.ToString() ?? "application/json";
            await http.Response.Body.WriteAsync(payload, CancellationToken.None);
            return Results.Empty;
        }
    }

    private static async Task Record(
        IDocumentSession session, string requestId, string keyId, string app, ModelDefinition model, Usage usage,
        int status, long started, TimeProvider clock, AdapterIdentity adapter, ILogger log)
    {
        var cost = Pricing.Cost(usage.InputTokens, usage.OutputTokens, model.InputPricePer1M, model.OutputPricePer1M);
        var completed = new RequestCompleted(requestId, keyId, app, model.Id, model.Provider, usage.InputTokens, usage.OutputTokens,
            cost, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, status, adapter.Actor, clock.GetUtcNow());
        session.Events.StartStream<RequestRecord>(requestId, completed);
        try
        {
            // Not the request's token: the answer is already paid for, so record it even if the caller left.
            await session.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            // The caller still gets the provider's answer; a durable local buffer for this case is issue #5.
            log.LogError(e, "Could not record request {RequestId} for key {KeyId}", requestId, keyId);
        }
    }

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }
}
