using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Access;
using Governance.Domain.Budgets;
using Governance.Domain.Catalog;
using Governance.Hosting;
using Governance.Hosting.Secrets;
using Microsoft.AspNetCore.Http.Features;
using ProxyAdapter.Limits;
using ProxyAdapter.Observability;
using ProxyAdapter.Routing;
using ProxyAdapter.Surfaces;

namespace ProxyAdapter;

/// <summary>
/// Every priced call through the proxy, whatever its API, in this order:
/// <list type="number">
/// <item>the key, from the headers (<see cref="KeyGate"/>: the address's throttle, the key's shape, checksum, secret and
/// status); a refusal is answered at once, the body unread, and only counted;</item>
/// <item>the body: a JSON media type (415 otherwise, unread), read up to <see cref="GatewayOptions.MaxRequestBodyBytes"/>
/// (413 past it);</item>
/// <item>its shape: one JSON object (<see cref="RequestJson"/>), then the surface's reading of it (model, streaming, output
/// bounds); a refusal names the field at fault;</item>
/// <item>the model for this key (scope, price, grant, routes); a refusal from here on is recorded as its own
/// <c>request_denied</c>, so it can be explained;</item>
/// <item>the key's rate limits, then the worst case held over every model the call may reach;</item>
/// <item>forwarding to deployments in routing order until one answers, relaying the answer, recording what it cost.</item>
/// </list>
/// </summary>
public sealed partial class Gateway(
    IGovernor governor, IHttpClientFactory clients, SecretProtector secrets, LedgerOptions ledger, GatewayOptions options,
    TimeProvider clock, DeploymentHealth health, RouteRandom random, AdapterIdentity adapter, ILogger<Gateway> log,
    GatewayMetrics metrics, KeyRateLimiter limiter, KeyGate gate)
{
    /// <summary>What the log shows for a caller that went away before the answer was complete (nginx's convention).</summary>
    public const int ClientClosedRequest = 499;

    // What a request's forwarding needs of the gateway (primary-constructor parameters are not members).
    private readonly IGovernor _governor = governor;
    private readonly IHttpClientFactory _clients = clients;
    private readonly SecretProtector _secrets = secrets;
    private readonly GatewayOptions _options = options;
    private readonly TimeProvider _clock = clock;
    private readonly DeploymentHealth _health = health;
    private readonly ILogger _log = log;
    private readonly GatewayMetrics _metrics = metrics;
    private readonly KeyRateLimiter _limiter = limiter;

    public async Task HandleAsync(HttpContext http, Surface surface)
    {
        var ct = http.RequestAborted;
        var arrived = Stopwatch.GetTimestamp();
        _metrics.CountOnCompletion(http, surface.UpstreamPath);
        var errors = surface.Errors;

        // 1. The key, from the headers alone.
        var key = await gate.CheckAsync(http, surface);
        if (key.Refusal is { } refusedKey)
        {
            _metrics.Decided(key.Standing.Reason, arrived);
            await AnswerUnreadAsync(http, refusedKey);
            return;
        }
        var presentedKey = key.PresentedKey!;

        // 2. The body, JSON and within the limit.
        if (!JsonMediaType.IsJson(http.Request.ContentType))
        {
            await AnswerUnreadAsync(http, errors.Result(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type",
                $"Send the request body as application/json (got '{http.Request.ContentType}')."));
            return;
        }
        var (raw, unreadable) = await ReadBodyAsync(http, errors, ct);
        if (raw is null)
        {
            await AnswerUnreadAsync(http, unreadable!);
            return;
        }

        // 3. Its shape.
        if (RequestJson.Read(raw, errors, out var body) is { } malformed)
        {
            await malformed.ExecuteAsync(http);
            return;
        }
        if (surface.Prepare(body, ledger, out var shape) is { } refused)
        {
            await refused.ExecuteAsync(http);
            return;
        }

        // 4. The model for this key.
        var now = _clock.GetUtcNow();
        var admission = await _governor.DecideAsync(presentedKey, shape.Model, now, ct);
        if (!admission.Decision.Allowed)
        {
            _metrics.Decided(admission.Decision.Reason, arrived);
            var denied = _governor.RecordDenialAsync(RequestDenied.Of(RequestIds.Of(http), presentedKey, admission.Decision, shape.Model, adapter.Actor, now));
            await AnswerAsync(http, errors.Denied(admission.Decision.Denial!));
            await denied;
            return;
        }
        var requested = admission.Models[0];
        var plan = RoutePlanner.Plan(admission.Models, surface.Family, _health, random, _options.MaxAttempts);
        if (plan.Count == 0)
        {
            await (requested.Routes.Count > 0
                ? errors.BadRequest($"Model '{shape.Model}' is not served through this API; call it through the {(surface.Family == ApiFamily.OpenAi ? "Anthropic" : "OpenAI")} API of this gateway.", "wrong_api")
                : errors.Result(502, "provider_missing", "The model's provider is not configured.")).ExecuteAsync(http);
            return;
        }
        // The output the call may produce and the hold that stands for it, from the models it may reach (HoldSizing).
        if (surface.Bound(body, raw.Length, requested, plan.Select(r => r.Model).Distinct(), ledger, ref shape) is { } unbounded)
        {
            await unbounded.ExecuteAsync(http);
            return;
        }

        // 5. The key's own limits, counted in this adapter's memory: the input estimate and every allowed output token as the
        // worst case (the actual tokens replace it when the call is recorded).
        var limited = _limiter.TryAcquire(admission.Decision.KeyId!, admission.Limits, checked(Estimate.Tokens(raw.Length) + shape.MaxOutput), now);
        if (limited.Permit is not { } permit)
        {
            _metrics.Decided(DenialReasons.RateLimited, arrived);
            var refusal = admission.Decision with { Allowed = false, Reason = DenialReasons.RateLimited };
            var denied = _governor.RecordDenialAsync(RequestDenied.Of(RequestIds.Of(http), presentedKey, refusal, shape.Model, adapter.Actor, now));
            await AnswerAsync(http, errors.RateLimited(limited));
            await denied;
            return;
        }
        try
        {
            var worstCase = shape.WorstCase;
            var hold = await _governor.HoldAsync(new HoldRequest(admission.Decision.KeyId!, admission.Decision.App!, admission.Grant?.Id,
                requested.Definition.Id, requested.Price.Version, worstCase, ledger.HoldTtl, adapter.Actor), now, ct);
            if (!hold.Allowed && hold.Shortfall is null)
            {
                var refusal = admission.Decision with { Allowed = false, Reason = hold.Refusal ?? DenialReasons.GovernanceUnavailable };
                _limiter.Complete(permit, 0, now);
                var denied = _governor.RecordDenialAsync(RequestDenied.Of(RequestIds.Of(http), presentedKey, refusal, shape.Model, adapter.Actor, now));
                await AnswerAsync(http, errors.Denied(refusal.Denial!));
                await denied;
                return;
            }
            if (!hold.Allowed)
            {
                _metrics.Decided(DenialReasons.BudgetExceeded, arrived);
                _limiter.Complete(permit, 0, now);
                var denied = _governor.RecordDenialAsync(RequestDenied.OverBudget(
                    RequestIds.Of(http), admission.Decision, requested.Definition.Id, hold.Shortfall!, worstCase, adapter.Actor, now));
                await AnswerAsync(http, errors.BudgetExceeded(hold.Shortfall!));
                await denied;
                return;
            }
            _metrics.Decided(null, arrived);

            // 6. Forward, relay, record.
            var call = new Call(RequestIds.Of(http), admission.Decision.KeyId!, requested.Definition.Id, hold.ReservationId, now, Stopwatch.GetTimestamp(), raw.Length, shape, permit);
            await new Forwarding(this, http, surface, call, body).RunAsync(plan);
        }
        finally
        {
            // Whatever ended the call (an exception, a path that recorded nothing), its parallel slot is given back; its
            // tokens stay as estimated. A no-op once the call's record has completed the permit with the actual tokens.
            _limiter.Complete(permit, permit.EstimatedTokens, _clock.GetUtcNow());
        }
    }

    /// <summary>
    /// Writes <paramref name="answer"/> and completes the response, so the caller has it all while the handler still
    /// awaits its record (whose journal append may wait for an fsync: Proxy:JournalDurability). A caller that left is no error.
    /// </summary>
    private static async Task AnswerAsync(HttpContext http, IResult answer)
    {
        try
        {
            await answer.ExecuteAsync(http);
            await http.Response.CompleteAsync();
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
        }
    }

    private sealed record Call(
        string RequestId, string KeyId, string Model, string? ReservationId, DateTimeOffset At, long Started, long InputBytes, CallShape Shape, RateLimitPermit Permit);

    /// <summary>
    /// Answers a call whose body was not read (or not to its end). On HTTP/1.x the connection is then closed rather than
    /// kept alive, so the server does not read the rest of a body it will never use just to reach the next request.
    /// </summary>
    private static Task AnswerUnreadAsync(HttpContext http, IResult answer)
    {
        if (HttpMethods.IsPost(http.Request.Method) && (HttpProtocol.IsHttp11(http.Request.Protocol) || HttpProtocol.IsHttp10(http.Request.Protocol))
            && http.Features.Get<IHttpRequestBodyDetectionFeature>() is not { CanHaveBody: false })
            http.Response.Headers.Connection = "close";
        return AnswerAsync(http, answer);
    }

    private const int PresizedBodyLimit = 1 << 20;

    /// <summary>
    /// The body, or the answer when it is larger than <see cref="GatewayOptions.MaxRequestBodyBytes"/>: at once from its
    /// Content-Length, else (chunked) as soon as what has arrived passes the limit, so no more than the limit is ever held.
    /// </summary>
    private async Task<(byte[]? Body, IResult? Refusal)> ReadBodyAsync(HttpContext http, ErrorShape errors, CancellationToken ct)
    {
        var request = http.Request;
        var limit = _options.MaxRequestBodyBytes;
        if (request.ContentLength > limit)
            return (null, errors.TooLarge(limit));
        // Kestrel's own limit (30 MB by default) would otherwise answer first, in its own words.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = limit;
        try
        {
            // With a Content-Length (what SDKs send) a small body is read straight into an array of its size: no growing
            // buffer, no second copy. A larger one grows with what actually arrives, not with what the header claims.
            if (request.ContentLength is { } length and <= PresizedBodyLimit)
            {
                var body = new byte[length];
                await request.Body.ReadExactlyAsync(body, ct);
                return (body, null);
            }
            using var buffer = new MemoryStream();
            var chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                int read;
                while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
                {
                    if (buffer.Length + read > limit)
                        return (null, errors.TooLarge(limit));
                    buffer.Write(chunk, 0, read);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }
            return (buffer.ToArray(), null);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's verdict on the body: past its limit (413), cut short against its Content-Length (400), too slow (408).
            return (null, e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? errors.TooLarge(limit)
                : errors.Result(e.StatusCode, "invalid_request", "The request body could not be read: " + e.Message));
        }
    }
}
