using System.Diagnostics;
using Governance.Domain.Usage;
using Governance.Hosting.Secrets;
using Microsoft.AspNetCore.Http.Features;
using ProxyAdapter.Limits;
using ProxyAdapter.Observability;
using ProxyAdapter.Pipeline;
using ProxyAdapter.Routing;
using ProxyAdapter.Surfaces;

namespace ProxyAdapter;

/// <summary>
/// Every priced call through the proxy, whatever its API, as ordered stages. Each stage is a small class with one job; it
/// returns the next state (<c>Pipeline/CallStates.cs</c>) or a <see cref="Refusal"/>, which <see cref="RefuseAsync"/>
/// alone turns into metric, denial record and answer.
/// <list type="number">
/// <item>Authenticate the key from the headers (<see cref="KeyGate"/>: the address's throttle, the key's shape, checksum,
/// secret and status). A refusal is answered at once, the body unread, and only counted.</item>
/// <item>Read the body (<see cref="BodyReader"/>): a JSON media type (415 otherwise, unread), up to
/// <see cref="GatewayOptions.MaxRequestBodyBytes"/> (413 past it).</item>
/// <item>Parse it (<see cref="RequestParser"/>): one JSON object, then the surface's reading of it (model, streaming,
/// output bounds); a refusal names the field at fault.</item>
/// <item>Admit (<see cref="Admitter"/>): the model for this key (scope, price, grant, routes), the route plan, the output
/// bounds fitted to the models it may reach. A refusal from here on is recorded as its own <c>request_denied</c>.</item>
/// <item>Limit (<see cref="RateLimitStage"/>): the key's requests/min, tokens/min and parallel calls, in memory, within
/// the part of the key's fleet-wide allowance this adapter holds.</item>
/// <item>Hold (<see cref="HoldStage"/>): the worst case under this adapter's budget leases.</item>
/// <item>Forward to deployments in routing order until one answers (<see cref="Forwarding"/>), never retrying once a
/// byte reached the client; a deployment whose provider speaks another API gets the call translated
/// (<see cref="TranslatedRoute"/>), and its answer, stream and errors are translated back;</item>
/// <item>relay the answer, a complete body as is or a stream event by event;</item>
/// <item>record what it cost, drawn from the leases of its admission.</item>
/// </list>
/// </summary>
public sealed partial class Gateway(
    IGovernor governor, IHttpClientFactory clients, SecretProtector secrets, GatewayOptions options, TimeProvider clock,
    DeploymentHealth health, RouteSignals signals, ILogger<Gateway> log, GatewayMetrics metrics, KeyRateLimiter limiter,
    KeyGate gate, BodyReader bodies, RequestParser parser, Admitter admitter, RateLimitStage limits, HoldStage holds)
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
    private readonly RouteSignals _signals = signals;
    private readonly ILogger _log = log;
    private readonly GatewayMetrics _metrics = metrics;
    private readonly KeyRateLimiter _limiter = limiter;

    public async Task HandleAsync(HttpContext http, Surface surface)
    {
        var arrived = Stopwatch.GetTimestamp();
        _metrics.CountOnCompletion(http, surface.UpstreamPath);

        // 1. Authenticate the key from the headers alone.
        var key = await gate.CheckAsync(http, surface);
        if (key.Refusal is { } refusedKey)
        {
            await RefuseAsync(http, new Refusal(refusedKey, key.Standing.Reason, BodyUnread: true), arrived);
            return;
        }
        var caller = new Caller(http, surface, key.PresentedKey!, arrived);

        // 2. Read the body.
        var read = await bodies.ReadAsync(caller);
        if (read.Refusal is { } unread)
        {
            await RefuseAsync(http, unread, arrived);
            return;
        }

        // 3. Parse it.
        var parsed = parser.Parse(read.Next!);
        if (parsed.Refusal is { } malformed)
        {
            await RefuseAsync(http, malformed, arrived);
            return;
        }

        // 4. Admit the model for this key.
        var admitted = await admitter.AdmitAsync(parsed.Next!);
        if (admitted.Refusal is { } notAdmitted)
        {
            await RefuseAsync(http, notAdmitted, arrived);
            return;
        }

        // 5. Limit: the key's own rate limits, for the whole fleet.
        var limited = await limits.AcquireAsync(admitted.Next!);
        if (limited.Refusal is { } overLimit)
        {
            await RefuseAsync(http, overLimit, arrived);
            return;
        }
        var permit = limited.Next!.Permit;
        try
        {
            // 6. Hold the worst case.
            var held = await holds.HoldAsync(limited.Next!);
            if (held.Refusal is { } notHeld)
            {
                _limiter.Complete(permit, 0, admitted.Next!.Now);
                await RefuseAsync(http, notHeld, arrived);
                return;
            }
            _metrics.Decided(null, arrived);

            // 7-9. Forward, relay, record.
            var call = Call.Of(held.Next!);
            await new Forwarding(this, http, surface, call, parsed.Next!.Body).RunAsync(admitted.Next!.Plan);
        }
        finally
        {
            // Whatever ended the call (an exception, a path that recorded nothing), its parallel slot is given back; its
            // tokens stay as estimated. A no-op once the call's record has completed the permit with the actual tokens.
            _limiter.Complete(permit, permit.EstimatedTokens, _clock.GetUtcNow());
        }
    }

    /// <summary>
    /// The one place a refusal becomes what is kept of it and what the caller gets: the decisions metric, the denial's
    /// record (started before the answer, awaited after it, so the caller never waits for the journal) and the answer.
    /// </summary>
    private async Task RefuseAsync(HttpContext http, Refusal refusal, long arrived)
    {
        if (refusal.Counted is { } reason)
            _metrics.Decided(reason, arrived);
        var recorded = refusal.Denial is { } denial ? _governor.RecordDenialAsync(denial) : Task.CompletedTask;
        await (refusal.BodyUnread ? AnswerUnreadAsync(http, refusal.Answer) : AnswerAsync(http, refusal.Answer));
        await recorded;
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

    /// <summary>
    /// <see cref="Model"/>: what the caller asked for (a model, or a model group); <see cref="PricedAs"/>: the model a call
    /// no deployment answered is recorded under (the one asked for, or the group's first member: a group has no price).
    /// </summary>
    private sealed record Call(
        string RequestId, string KeyId, string Model, string PricedAs, LeaseAdmission Admission, DateTimeOffset At, long Started, long InputBytes,
        CallShape Shape, RateLimitPermit Permit, RoutingChoice? Routing)
    {
        public static Call Of(HeldRequest held)
        {
            var admitted = held.Request.Request;
            return new Call(admitted.Request.Request.Caller.RequestId, admitted.Admission.Decision.KeyId!, admitted.Shape.Model,
                admitted.Requested.Definition.Id, held.Admission, admitted.Now, Stopwatch.GetTimestamp(), admitted.Request.Request.Raw.Length,
                admitted.Shape, held.Request.Permit, admitted.Routing);
        }
    }

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
}
