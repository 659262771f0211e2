using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Access;
using Governance.Domain.Catalog;
using Governance.Domain.Usage;
using Governance.Projections;
using Governance.Projections.Audit;
using Governance.Projections.Budgets;
using Governance.Projections.Hosting;
using Governance.Projections.Usage;
using Marten;
using Wolverine.Marten;
using Wolverine.Runtime;

namespace ProxyAdapter;

/// <summary>
/// POST /v1/chat/completions: decide from the projections, hold the worst-case cost in every budget, forward with
/// the provider key swapped in, return the provider's answer untouched, and capture the actual cost in the ledger.
/// </summary>
public static class ChatCompletions
{
    public const string RequestIdHeader = "x-request-id";

    public static async Task<IResult> Handle(
        HttpContext http, IDocumentStore store, IWolverineRuntime runtime, IHttpClientFactory clients, SecretProtector secrets,
        LedgerOptions ledger, TimeProvider clock, AdapterIdentity adapter, ILogger<AdapterIdentity> log)
    {
        var ct = http.RequestAborted;
        var requestId = "req_" + Guid.NewGuid().ToString("N");
        http.Response.Headers[RequestIdHeader] = requestId;

        var presentedKey = BearerToken.From(http.Request);
        if (presentedKey is null)
            return OpenAiErrors.Denied(401, DenialReasons.UnknownKey);

        var raw = await ReadBodyAsync(http.Request, ct);
        JsonObject? body;
        try
        {
            body = JsonNode.Parse(raw) as JsonObject;
        }
        catch (JsonException)
        {
            return OpenAiErrors.BadRequest("The request body is not valid JSON.");
        }
        if (body?["model"] is not JsonValue modelNode || !modelNode.TryGetValue(out string? model) || string.IsNullOrWhiteSpace(model))
            return OpenAiErrors.BadRequest("'model' is required.", "missing_model");
        if (body["stream"] is JsonValue stream && stream.TryGetValue(out bool streaming) && streaming)
            return OpenAiErrors.BadRequest("Streaming is not supported by this gateway yet; send stream=false.", "stream_unsupported");

        var now = clock.GetUtcNow();
        await using var session = store.LightweightSession();
        var (decision, definition, grant) = await session.DecideAsync(presentedKey, model, now, ct);
        if (decision.Allowed && definition is not { IsRouted: true })
            decision = decision with { Allowed = false, Reason = DenialReasons.UnknownModel };
        if (!decision.Allowed)
        {
            await Denials.RecordAsync(session, RequestDenied.Of(requestId, presentedKey, decision, model, adapter.Actor, now), log);
            return OpenAiErrors.Denied(decision.HttpStatus, decision.Reason!);
        }

        var provider = await session.LoadAsync<Provider>(definition!.Provider!, ct);
        if (provider is null)
            return OpenAiErrors.Result(502, "api_error", "provider_missing", "The model's provider is not configured.");

        // Worst case: every byte of the body a prompt token (a token is at least one byte), every allowed output token used.
        var maxOutput = MaxOutputTokens(body, ledger.DefaultMaxOutputTokens);
        var price = definition.PriceAt(now)!;
        var worstCase = Pricing.WorstCase(raw.Length, maxOutput, price);
        var hold = await Holds.PlaceAsync(session, new MartenOutbox(runtime, session), new HoldRequest(decision.KeyId!, decision.App!, grant?.Id, definition.Id,
            price.Version, worstCase, ledger.HoldTtl, adapter.Actor), now, ct);
        if (!hold.Allowed)
        {
            await Denials.RecordAsync(session, RequestDenied.OverBudget(requestId, decision, definition.Id, hold.Shortfall!, worstCase, adapter.Actor, now), log);
            return OpenAiErrors.BudgetExceeded(hold.Shortfall!);
        }

        body["model"] = definition.UpstreamModel;
        using var upstream = new HttpRequestMessage(HttpMethod.Post, provider.BaseUrl + "/chat/completions")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        upstream.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secrets.Unprotect(provider.EncryptedApiKey, provider.Id));

        var started = Stopwatch.GetTimestamp();
        var call = new Call(requestId, decision.KeyId!, definition, provider.Id, hold.ReservationId, now, started);
        HttpResponseMessage response;
        try
        {
            response = await clients.CreateClient(Upstream.ClientName).SendAsync(upstream, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            log.LogWarning("Provider {Provider} unreachable for {RequestId}: {Error}", provider.Id, requestId, e.Message);
            await RecordAsync(store, runtime, call, TokenUsage.None, 502, adapter, clock, log);
            return OpenAiErrors.Result(502, "api_error", "provider_unreachable", "The upstream provider could not be reached.");
        }

        using (response)
        {
            var payload = await response.Content.ReadAsByteArrayAsync(ct);
            var usage = response.IsSuccessStatusCode ? Usage.Read(payload) : TokenUsage.None;
            await RecordAsync(store, runtime, call, usage, (int)response.StatusCode, adapter, clock, log);
            http.Response.StatusCode = (int)response.StatusCode;
            http.Response.ContentType = response.Content.Headers.ContentType?.ToString() ?? "application/json";
            await http.Response.Body.WriteAsync(payload, CancellationToken.None);
            return Results.Empty;
        }
    }

    private sealed record Call(string RequestId, string KeyId, ModelDefinition Model, string Provider, string? ReservationId, DateTimeOffset At, long Started);

    /// <summary>Captures the actual cost. Not the request's token: the answer is paid for, so it is recorded even if the caller left.</summary>
    private static async Task RecordAsync(
        IDocumentStore store, IWolverineRuntime runtime, Call call, TokenUsage usage, int status, AdapterIdentity adapter, TimeProvider clock, ILogger log)
    {
        var report = new UsageReport(call.RequestId, call.KeyId, call.Model.Id, call.Provider, usage.Input, usage.Cached, usage.Output,
            usage.Reasoning, (long)Stopwatch.GetElapsedTime(call.Started).TotalMilliseconds, status, call.At, call.ReservationId);
        try
        {
            await using var session = store.LightweightSession();
            await UsageLedger.RecordAsync(session, new MartenOutbox(runtime, session), [report], adapter.Actor, clock.GetUtcNow(), CancellationToken.None);
        }
        catch (Exception e)
        {
            // The caller still gets the provider's answer; the open hold keeps the budget safe until it expires.
            // A durable local buffer for this case is issue #5.
            log.LogError(e, "Could not record request {RequestId} for key {KeyId}", call.RequestId, call.KeyId);
        }
    }

    private static long MaxOutputTokens(JsonObject body, long fallback)
    {
        foreach (var name in new[] { "max_completion_tokens", "max_tokens" })
            if (body[name] is JsonValue value && value.TryGetValue(out long max) && max > 0)
                return max;
        // Enforce the cap the hold assumed, so the actual cost can never exceed what was reserved.
        body["max_completion_tokens"] = fallback;
        return fallback;
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        return buffer.ToArray();
    }
}
