using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Contracts.Usage;
using Governance.Domain.Catalog;
using Governance.Domain.Usage;
using Governance.Hosting.Outbound;
using Governance.Hosting.Secrets;
using ProxyAdapter.Pipeline;
using ProxyAdapter.Routing;
using ProxyAdapter.Streaming;
using ProxyAdapter.Surfaces;
using ProxyAdapter.Translation;

namespace ProxyAdapter;

public sealed partial class Gateway
{
    /// <summary>One request's walk through its routes. Never retries once a byte of an answer reached the client.</summary>
    private sealed class Forwarding(Gateway gateway, HttpContext http, Surface surface, Call call, JsonObject body)
    {
        private readonly List<FailedAttempt> _failures = [];
        private (int Status, byte[] Body, string? ContentType, RetryConditionHeaderValue? RetryAfter)? _lastRateLimit;
        // A translated provider's last 5xx, in the client's shape: when every attempt failed so, the client gets it.
        private (int Status, byte[] Body)? _lastTranslatedError;
        private CancellationToken ClientGone => http.RequestAborted;

        public async Task RunAsync(IReadOnlyList<PlannedRoute> plan)
        {
            foreach (var route in plan)
            {
                if (ClientGone.IsCancellationRequested)
                    break;
                // In flight from the first byte sent until the answer (a stream: its last event) is relayed or the attempt failed.
                gateway._signals.Started(route.Deployment.Id);
                try
                {
                    if (await AttemptAsync(route))
                        return;
                }
                finally
                {
                    gateway._signals.Ended(route.Deployment.Id);
                }
            }
            await GiveUpAsync();
        }

        /// <summary>True when the request is answered (or the client left); false to try the next route.</summary>
        private async Task<bool> AttemptAsync(PlannedRoute route)
        {
            var started = Stopwatch.GetTimestamp();
            // A provider of another API gets the translated call (admission checked that every route's kind can take it).
            UpstreamCall? translated = null;
            if (surface.Translates(route.Provider.Kind))
            {
                if (TranslatedRoute.Prepare(surface, body, call.Shape, route, out var prepared) is { } untranslatable)
                {
                    Fail(route, null, AttemptFailures.ServerError, started, untranslatable.Message);
                    return false;
                }
                translated = prepared;
            }
            else
                body["model"] = route.Deployment.UpstreamModel;
            var url = new Uri(route.Provider.BaseUrl + (translated?.Path ?? ProviderAddress.PassthroughPath(surface, route)));
            // One serialization: a Bedrock signature covers these exact bytes.
            var payload = JsonSerializer.SerializeToUtf8Bytes(translated?.Body ?? body);
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new ByteArrayContent(payload)
                {
                    Headers = { ContentType = new MediaTypeHeaderValue("application/json") },
                },
            };
            // The key is bound to the provider's name and base URL: one changed without the master key does not decrypt.
            string apiKey;
            try
            {
                apiKey = gateway._secrets.Unprotect(route.Provider.EncryptedApiKey, SecretBinding.Provider(route.Provider.Id, route.Provider.BaseUrl));
            }
            catch (CryptographicException e)
            {
                Fail(route, null, AttemptFailures.KeyUnavailable, started, $"the API key of provider {route.Provider.Id} cannot be decrypted: {e.Message}");
                return false;
            }
            if (translated is null && route.Provider.Kind != ProviderKinds.AzureOpenAi)
                surface.Authenticate(request, apiKey, http.Request, gateway._options);
            else if (ProviderAddress.Credentials(route.Provider.Kind, apiKey, url, route.Provider.Settings.Region, payload, gateway._clock.GetUtcNow()) is { } credentials)
                foreach (var (name, value) in (translated?.Headers ?? Array.Empty<KeyValuePair<string, string>>()).Concat(credentials))
                    request.Headers.TryAddWithoutValidation(name, value);
            else
            {
                Fail(route, null, AttemptFailures.KeyUnavailable, started, $"the credentials of provider {route.Provider.Id} are not of its kind's form");
                return false;
            }

            // A streamed call dies with its client (so the provider stops generating); a complete one runs to its end and is
            // recorded exactly, even if the caller left meanwhile.
            using var timeout = new CancellationTokenSource(gateway._options.UpstreamTimeout, gateway._clock);
            using var linked = call.Shape.Streaming
                ? CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, ClientGone)
                : CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
            HttpResponseMessage response;
            try
            {
                response = await gateway._clients.CreateClient(Upstream.ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
                gateway._metrics.UpstreamAnswered(route.Deployment.Id, (int)response.StatusCode, started);
                Measure(route, response, started);
            }
            catch (OperationCanceledException) when (ClientGone.IsCancellationRequested && call.Shape.Streaming)
            {
                // The provider had the prompt: charge its estimate.
                await RecordAsync(route, new TokenUsage(Estimate.Tokens(call.InputBytes), 0, 0, 0), true, ClientClosedRequest);
                return true;
            }
            catch (HttpRequestException e) when (e.InnerException is OutboundAddressRefusedException refused)
            {
                Fail(route, null, AttemptFailures.AddressRefused, started, refused.Message);
                return false;
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                Fail(route, null, timeout.IsCancellationRequested ? AttemptFailures.Timeout : AttemptFailures.Unreachable, started, e.Message);
                return false;
            }

            using (response)
            {
                var status = (int)response.StatusCode;
                if (status is >= 300 and < 400)
                {
                    // Never followed (the handler does not redirect): the request and its key stay with this provider.
                    Fail(route, status, AttemptFailures.Redirected, started,
                        response.Headers.Location is { IsAbsoluteUri: true } to ? $"a redirect to {to.Host}, not followed" : "a redirect, not followed");
                    return false;
                }
                if (status == 429 || status >= 500)
                {
                    var error = await TryReadAsync(response, linked.Token);
                    if (translated is not null)
                    {
                        var (_, worded) = Translator.Error(translated, status, error ?? []);
                        if (status == 429)
                            _lastRateLimit = (status, worded, "application/json", response.Headers.RetryAfter);
                        else
                            _lastTranslatedError = (ErrorTypes.Normalize(status), worded);
                    }
                    else
                    {
                        _lastTranslatedError = null;
                        if (status == 429)
                            _lastRateLimit = (status, error ?? [], response.Content.Headers.ContentType?.ToString(), response.Headers.RetryAfter);
                    }
                    Fail(route, status, status == 429 ? AttemptFailures.RateLimited : AttemptFailures.ServerError, started, null);
                    return false;
                }

                if (call.Shape.Streaming && response.IsSuccessStatusCode
                    && response.Content.Headers.ContentType?.MediaType == (translated is null ? "text/event-stream" : ProviderAddress.StreamMediaType(route.Provider.Kind)))
                {
                    // Once streaming there is no deadline: the client decides how long it listens.
                    timeout.CancelAfter(Timeout.InfiniteTimeSpan);
                    return await RelayAsync(route, response, status, linked.Token, started, translated);
                }

                byte[] answer;
                try
                {
                    answer = await response.Content.ReadAsByteArrayAsync(linked.Token);
                }
                catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
                {
                    if (ClientGone.IsCancellationRequested && call.Shape.Streaming)
                    {
                        await RecordAsync(route, new TokenUsage(Estimate.Tokens(call.InputBytes), 0, 0, 0), true, ClientClosedRequest);
                        return true;
                    }
                    Fail(route, status, timeout.IsCancellationRequested ? AttemptFailures.Timeout : AttemptFailures.StreamBroken, started, e.Message);
                    return false;
                }

                // Served (2xx), or refused for a reason another deployment would share (4xx): passed through (or translated) either way.
                var contentType = response.Content.Headers.ContentType?.ToString();
                TokenUsage? usage;
                if (translated is null)
                    usage = response.IsSuccessStatusCode ? surface.ReadUsage(answer) : TokenUsage.None;
                else if (!response.IsSuccessStatusCode)
                {
                    (status, answer) = Translator.Error(translated, status, answer);
                    (usage, contentType) = (TokenUsage.None, "application/json");
                }
                else if (Translator.Response(translated, answer, Stamp()) is { } client)
                    (answer, usage, contentType) = (client.Body, client.Usage?.Tokens, "application/json");
                else
                {
                    Fail(route, status, AttemptFailures.ServerError, started, "an answer the translation layer cannot read");
                    return false;
                }
                var estimated = usage is null;
                if (response.IsSuccessStatusCode)
                    gateway._health.Succeeded(route.Deployment.Id);
                // The record is in the journal file before the answer goes; with fsync durability the client has its answer
                // while the fsync runs. The handler returns once both are done.
                var recorded = RecordAsync(route, usage ?? new TokenUsage(Estimate.Tokens(call.InputBytes), 0,
                    Estimate.Output(surface.GeneratedTextBytes(answer), 0, call.Shape.MaxOutput), 0), estimated,
                    ClientGone.IsCancellationRequested ? ClientClosedRequest : status);
                await WriteAsync(status, contentType, answer, null);
                await recorded;
                return true;
            }
        }

        private async Task<bool> RelayAsync(
            PlannedRoute route, HttpResponseMessage response, int status, CancellationToken upstreamToken, long started, UpstreamCall? translated)
        {
            var observer = translated is null ? surface.Observer(call.Shape) : null;
            var translator = translated is null ? null : new TranslatedStream(Translator.Stream(translated, Stamp()));
            var contentType = translated is null ? response.Content.Headers.ContentType!.ToString() : "text/event-stream";
            void Start()
            {
                http.Response.StatusCode = status;
                http.Response.ContentType = contentType;
                http.Response.Headers.CacheControl = "no-cache";
            }

            RelayOutcome outcome;
            try
            {
                await using var stream = await response.Content.ReadAsStreamAsync(upstreamToken);
                outcome = translator is null
                    ? await SseRelay.RunAsync(stream, http.Response, Start, observer!, upstreamToken, ClientGone)
                    : await TranslatedRelay.RunAsync(stream, http.Response, Start, translator, upstreamToken, ClientGone);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
            {
                outcome = ClientGone.IsCancellationRequested ? new RelayOutcome(RelayEnd.ClientGone, false, null) : new RelayOutcome(RelayEnd.UpstreamBroken, false, e);
            }

            // Done with the provider: release (or, cut short, abort) its connection before the ledger write.
            response.Dispose();
            if (outcome is { End: RelayEnd.UpstreamBroken, BytesSent: false })
            {
                Fail(route, status, AttemptFailures.StreamBroken, started, outcome.Error?.Message);
                return false;
            }
            if (outcome is { End: RelayEnd.Completed, BytesSent: false })
                Start();

            var (usage, estimated) = observer?.Result(call.InputBytes, call.Shape.MaxOutput) ?? translator!.Result(call.InputBytes, call.Shape.MaxOutput);
            switch (outcome.End)
            {
                case RelayEnd.Completed:
                    gateway._health.Succeeded(route.Deployment.Id);
                    await RecordAsync(route, usage, estimated, status);
                    break;
                case RelayEnd.ClientGone:
                    await RecordAsync(route, usage, estimated, ClientClosedRequest);
                    break;
                default:
                    // Bytes reached the client, so no retry: cut the client's stream too (it must not look complete), charge what was seen.
                    gateway._log.LogWarning("Stream of {RequestId} from {Deployment} broke after bytes were sent: {Error}",
                        call.RequestId, route.Deployment.Id, outcome.Error?.Message);
                    gateway._health.Failed(route.Deployment.Id);
                    gateway._metrics.UpstreamFailed(route.Deployment.Id, AttemptFailures.StreamBroken, status, started);
                    await RecordAsync(route, usage, estimated, status);
                    http.Abort();
                    break;
            }
            return true;
        }

        private async Task GiveUpAsync()
        {
            if (ClientGone.IsCancellationRequested)
            {
                await RecordAsync(null, TokenUsage.None, false, ClientClosedRequest);
                return;
            }
            // Every deployment rate-limited us: the provider's own 429 (with its retry-after) tells SDKs to back off.
            if (_lastRateLimit is { } limited && _failures.All(f => f.Reason == AttemptFailures.RateLimited))
            {
                var recordedLimit = RecordAsync(null, TokenUsage.None, false, limited.Status);
                await WriteAsync(limited.Status, limited.ContentType, limited.Body, limited.RetryAfter);
                await recordedLimit;
                return;
            }
            // Every attempt reached a translated provider that failed: its own error (Anthropic's overloaded 529 is a 503), in the client's shape.
            if (_lastTranslatedError is { } failed && _failures.All(f => f.Reason == AttemptFailures.ServerError))
            {
                var recordedError = RecordAsync(null, TokenUsage.None, false, failed.Status);
                await WriteAsync(failed.Status, "application/json", failed.Body, null);
                await recordedError;
                return;
            }
            var recorded = RecordAsync(null, TokenUsage.None, false, 502);
            var result = _failures.All(f => f.Reason == AttemptFailures.Unreachable)
                ? surface.Errors.Result(502, "provider_unreachable", "The upstream provider could not be reached.")
                : surface.Errors.Result(502, "upstream_failed",
                    $"Every upstream attempt failed ({_failures.Count}); the request log entry {call.RequestId} lists them.");
            await AnswerAsync(http, result);
            await recorded;
        }

        /// <summary>
        /// What the routing strategies learn from an answer's headers: its time to first byte (not for a 429 or a 5xx, which
        /// health handles), the account's rate-limit headroom, and a 429's backoff.
        /// </summary>
        private void Measure(PlannedRoute route, HttpResponseMessage response, long started)
        {
            var status = (int)response.StatusCode;
            if (status != 429 && status < 500)
                gateway._signals.FirstByte(route.Deployment.Id, Stopwatch.GetElapsedTime(started));
            if (RateLimitHeaders.Read(response.Headers, gateway._clock.GetUtcNow()) is { } reading)
                gateway._signals.Observed(route.Provider.Id, reading);
            else if (status != 429)
                gateway._signals.Answered(route.Provider.Id);
            if (status == 429)
                gateway._signals.RateLimited(route.Provider.Id, RetryAfter(response.Headers.RetryAfter));
        }

        private TimeSpan? RetryAfter(RetryConditionHeaderValue? header) => header switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - gateway._clock.GetUtcNow(),
            _ => null,
        };

        /// <summary>What a translated answer is stamped with: this request's id, the model the client asked for, the time.</summary>
        private AnswerStamp Stamp() => new(call.RequestId, call.Model, gateway._clock.GetUtcNow().ToUnixTimeSeconds());

        private void Fail(PlannedRoute route, int? status, string reason, long started, string? error)
        {
            _failures.Add(new FailedAttempt(route.Model.Definition.Id, route.Deployment.Id, status, reason, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds));
            gateway._health.Failed(route.Deployment.Id);
            gateway._metrics.UpstreamFailed(route.Deployment.Id, reason, status, started);
            gateway._log.LogWarning("Attempt {Attempt} of {RequestId} on {Deployment} failed: {Reason} {Status} {Error}",
                _failures.Count, call.RequestId, route.Deployment.Id, reason, status, error);
        }

        private Task RecordAsync(PlannedRoute? servedBy, TokenUsage usage, bool estimated, int status)
        {
            // The call is over: the key's parallel slot is free and its tokens are what was used, before the ledger write
            // (and, for a complete answer, before the client has it).
            gateway._limiter.Complete(call.Permit, usage.Input + usage.Output, gateway._clock.GetUtcNow());
            var model = servedBy?.Model.Definition.Id ?? call.PricedAs;
            return gateway._governor.RecordAsync(new UsageReport(call.RequestId, call.KeyId, model, servedBy?.Provider.Id, usage.Input, usage.Cached,
                usage.Output, usage.Reasoning, (long)Stopwatch.GetElapsedTime(call.Started).TotalMilliseconds, status, call.At, null)
            {
                Deployment = servedBy?.Deployment.Id,
                FailedAttempts = _failures.ToList(),
                Estimated = estimated,
                RequestedModel = model == call.Model ? null : call.Model,
                Routing = call.Routing,
            }, call.Admission);
        }

        private async Task WriteAsync(int status, string? contentType, byte[] payload, RetryConditionHeaderValue? retryAfter)
        {
            http.Response.StatusCode = status;
            http.Response.ContentType = contentType ?? "application/json";
            // The whole answer is in hand: a length instead of chunked framing, and Kestrel sends it in one write.
            http.Response.ContentLength = payload.Length;
            if (retryAfter is not null)
                http.Response.Headers.RetryAfter = retryAfter.ToString();
            try
            {
                await http.Response.Body.WriteAsync(payload, CancellationToken.None);
                // Sent and done: the client need not wait for what the handler still does (with fsync durability, the journal's fsync).
                await http.Response.CompleteAsync();
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                // The caller left; the answer is recorded all the same.
            }
        }

        private static async Task<byte[]?> TryReadAsync(HttpResponseMessage response, CancellationToken ct)
        {
            try
            {
                return await response.Content.ReadAsByteArrayAsync(ct);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
            {
                return null;
            }
        }
    }
}
