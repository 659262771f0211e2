using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Access;
using Governance.Domain.Catalog;
using Governance.Domain.Usage;
using Governance.Projections;
using Governance.Projections.Budgets;
using Governance.Projections.Hosting;
using ProxyAdapter.Limits;
using ProxyAdapter.Observability;
using ProxyAdapter.Routing;
using ProxyAdapter.Surfaces;

namespace ProxyAdapter;

/// <summary>
/// Every priced call through the proxy, whatever its API: decide, hold the worst case over every model the call may
/// reach, forward to deployments in routing order until one answers, relay the answer, record what it cost.
/// </summary>
public sealed partial class Gateway(
    IGovernor governor, IHttpClientFactory clients, SecretProtector secrets, LedgerOptions ledger, GatewayOptions options,
    TimeProvider clock, DeploymentHealth health, RouteRandom random, AdapterIdentity adapter, ILogger<Gateway> log,
    GatewayMetrics metrics, KeyRateLimiter limiter)
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
        if (surface.PresentedKey(http.Request) is not { } presentedKey)
        {
            _metrics.Decided(DenialReasons.UnknownKey, arrived);
            await errors.Denied(401, DenialReasons.UnknownKey).ExecuteAsync(http);
            return;
        }

        var raw = await ReadBodyAsync(http.Request, ct);
        JsonObject? body = null;
        try
        {
            body = JsonNode.Parse(raw, documentOptions: UniqueProperties) as JsonObject;
        }
        catch (JsonException)
        {
        }
        if (body is null)
        {
            await errors.BadRequest("The request body is not a JSON object with unique property names.").ExecuteAsync(http);
            return;
        }
        if (surface.Prepare(body, ledger, out var shape) is { } refused)
        {
            await refused.ExecuteAsync(http);
            return;
        }

        var now = _clock.GetUtcNow();
        var admission = await _governor.DecideAsync(presentedKey, shape.Model, now, ct);
        if (!admission.Decision.Allowed)
        {
            _metrics.Decided(admission.Decision.Reason, arrived);
            var denied = _governor.RecordDenialAsync(RequestDenied.Of(RequestIds.Of(http), presentedKey, admission.Decision, shape.Model, adapter.Actor, now));
            await AnswerAsync(http, errors.Denied(admission.Decision.HttpStatus, admission.Decision.Reason!));
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

        // The key's own limits, counted in this adapter's memory: the input estimate and every allowed output token as the
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
                await AnswerAsync(http, errors.Denied(refusal.HttpStatus, refusal.Reason!));
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

    private const int PresizedBodyLimit = 1 << 20;

    /// <summary>
    /// A property named twice (two <c>max_tokens</c>) is refused when parsed: the hold and the provider must not read
    /// different ones, and JsonObject would otherwise throw on first access.
    /// </summary>
    private static readonly JsonDocumentOptions UniqueProperties = new() { AllowDuplicateProperties = false };

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        // With a Content-Length (what SDKs send) the body is read straight into an array of its size: no growing buffer,
        // no second copy. Only up to a size: Kestrel enforces its body limit when reading starts, after this allocation.
        if (request.ContentLength is { } length and <= PresizedBodyLimit)
        {
            var body = new byte[length];
            await request.Body.ReadExactlyAsync(body, ct);
            return body;
        }
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        return buffer.ToArray();
    }
}
