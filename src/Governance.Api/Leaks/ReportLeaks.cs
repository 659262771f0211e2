using System.Text.Json.Serialization;
using FluentValidation;
using Governance.Api.Access;
using Governance.Api.Infrastructure;
using Governance.Domain.Access;
using Governance.Domain.Apps;
using Governance.Domain.Budgets;
using Governance.Domain.Keys;
using Governance.Domain.Leaks;
using Governance.Hosting;
using Governance.Hosting.Audit;
using Governance.Projections.Hosting;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Wolverine;
using Wolverine.Http;

namespace Governance.Api.Leaks;

/// <summary>One token a secret-scanning service found, as GitHub's secret scanning partner program sends it.</summary>
public sealed record ReportedToken(string Token, string Type, string? Url, string? Source)
{
    public sealed class Validator : AbstractValidator<ReportedToken>
    {
        public Validator()
        {
            RuleFor(x => x.Token).NotEmpty().MaximumLength(1000);
            RuleFor(x => x.Type).NotEmpty().MaximumLength(200);
            RuleFor(x => x.Url).MaximumLength(2000);
            RuleFor(x => x.Source).MaximumLength(200);
        }
    }
}

/// <summary>The partner program's answer for one token: its SHA-256 (never the token), its type, and the label.</summary>
public sealed record TokenOutcome(
    [property: JsonPropertyName("token_hash")] string TokenHash,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("label")] string Label);

/// <summary>
/// POST /api/leaks, for secret-scanning services: a JSON array of <c>{token, type, url, source}</c> (one object is read as
/// an array of one), signed (<see cref="LeakSignatures"/>; no operator token: the signature is the credential). The
/// steps:
/// 1. refuse an address past the failed-authentication limit (429), then a request whose headers carry no signature we
///    could accept (401), before reading the body;
/// 2. read the body (at most 1 MiB, JSON) and check the signature over its exact bytes (401; nothing is read further).
///    Each 401 and 429 is counted, not recorded one by one: the API node's <see cref="RefusalCounting"/> appends one
///    <c>refusals_counted</c> a minute (reason <see cref="LeakReport.SignatureInvalid"/> or <c>auth_throttled</c>);
/// 3. read the tokens strictly (at most 1,000; 400 naming <c>[i].field</c>);
/// 4. handle each token (<see cref="LeakReports"/>) and answer, in order, <c>[{token_hash, token_type, label}]</c>.
/// </summary>
public static class ReportLeaksEndpoint
{
    public const int MaxTokens = 1000;

    [WolverinePost("/api/leaks")]
    [AllowAnonymous]
    public static async Task<IResult> Post(
        HttpContext context, LeakSignatures signatures, IValidator<ReportedToken> validator, IDocumentSession session, IMessageBus bus,
        FailedAuthThrottle throttle, RefusalCounting refusals, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var address = context.Connection.RemoteIpAddress;
        if (throttle.RetryAfter(address, now) is { } wait)
        {
            refusals.Tally.Count(new RefusalCount(DenialReasons.AuthThrottled, null, 1), now);
            return Throttled(context, wait);
        }
        if (signatures.Read(context.Request.Headers, now) is not { } claim)
            return Unsigned(throttle, refusals, address, now);
        var (body, problem) = await JsonBody.ReadAsync(context.Request, JsonBody.MaxBytes, ct);
        if (problem is not null)
            return problem;
        if (!claim.Verifies(body!))
            return Unsigned(throttle, refusals, address, now);
        var (tokens, invalid) = BatchBody.Parse(body!, validator, "reported token", MaxTokens);
        if (invalid is not null)
            return invalid;

        // The events name the report's signer through the actor, and the request through its correlation id.
        session.LastModifiedBy = LeakReport.Actor;
        session.CorrelationId = context.Response.Headers[AuditHttp.CorrelationHeader].ToString();
        return Results.Ok(await LeakReports.RecordAsync(session, bus, tokens!, claim.Reporter, now, ct));
    }

    private static IResult Unsigned(FailedAuthThrottle throttle, RefusalCounting refusals, System.Net.IPAddress? address, DateTimeOffset now)
    {
        throttle.Failed(address, now);
        refusals.Tally.Count(new RefusalCount(LeakReport.SignatureInvalid, null, 1), now);
        return Results.Problem(Problems.Create(401, "Unauthorized.",
            "A leak report must be signed: Github-Public-Key-Identifier and Github-Public-Key-Signature (ECDSA P-256 over the body), " +
            "or X-Governance-Signature (t=…,v1=HMAC-SHA-256), with a key or secret this gateway is configured with.", "signature_invalid"));
    }

    private static IResult Throttled(HttpContext context, TimeSpan wait)
    {
        var seconds = (int)Math.Clamp(Math.Ceiling(wait.TotalSeconds), 1, int.MaxValue);
        context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Problem(Problems.Create(DenialReason.AuthThrottled.HttpStatus, "Too many failed authentications.",
            $"This address sent too many unsigned or badly signed requests lately; retry after {seconds} s.", DenialReason.AuthThrottled.Code));
    }
}

/// <summary>Tell the key's app (its webhook, else the global one) that one of its keys was reported leaked.</summary>
public sealed record LeakAlert(
    string LeakId, string KeyId, string App, string Action, string Policy, string TokenType, string? Url, string? Source, DateTimeOffset ReportedAt);

/// <summary>Handles each reported token once: the label, the app's policy applied to the key, the record, the alert.</summary>
public static class LeakReports
{
    private sealed record Item(ReportedToken Token, string Fingerprint, string LeakId, string? Url, string? Source, string? KeyId);

    /// <summary>
    /// Appends, in the caller's session: per new report, <see cref="LeakReported"/> in its own stream; for a live key,
    /// the app's policy (<see cref="LeakReport.Decide"/>) on the key's stream, fetched for writing (a concurrent change
    /// fails the save with 409 and nothing is written: the reporter retries); per true positive, a <see cref="LeakAlert"/>
    /// through the outbox. A report recorded before is answered with the label it got then and changes nothing.
    /// </summary>
    public static async Task<IReadOnlyList<TokenOutcome>> RecordAsync(
        IDocumentSession session, IMessageBus bus, IReadOnlyList<ReportedToken> tokens, string reporter, DateTimeOffset now, CancellationToken ct)
    {
        var items = tokens.Select(ItemOf).ToList();
        var streamIds = items.Select(i => LeakReport.StreamId(i.LeakId)).Distinct().ToArray();
        var recorded = (await session.Events.QueryAllRawEvents().Where(e => streamIds.Contains(e.StreamKey)).ToListAsync(ct))
            .Select(e => e.Data).OfType<LeakReported>().ToDictionary(e => e.LeakId, e => e.Label);

        var keys = new Dictionary<string, JasperFx.Events.IEventStream<VirtualKey>>(StringComparer.Ordinal);
        var states = new Dictionary<string, VirtualKey?>(StringComparer.Ordinal);
        foreach (var keyId in items.Where(i => !recorded.ContainsKey(i.LeakId)).Select(i => i.KeyId).OfType<string>().Distinct())
        {
            var stream = await session.Events.FetchForWriting<VirtualKey>(keyId, ct);
            keys[keyId] = stream;
            states[keyId] = stream.Aggregate;
        }
        var appNames = states.Values.OfType<VirtualKey>().Select(k => BudgetIds.App(k.App)).Distinct().ToArray();
        var apps = appNames.Length == 0 ? [] : (await session.LoadManyAsync<App>(ct, appNames)).ToDictionary(a => a.Name);

        var outcomes = new List<TokenOutcome>(items.Count);
        foreach (var item in items)
        {
            if (!recorded.TryGetValue(item.LeakId, out var label))
                label = await HandleOneAsync(item);
            outcomes.Add(new TokenOutcome(item.Fingerprint, item.Token.Type, label));
        }
        return outcomes;

        async Task<string> HandleOneAsync(Item item)
        {
            var key = item.KeyId is null ? null : states[item.KeyId];
            var policy = key is null ? LeakPolicies.Default : apps.GetValueOrDefault(key.App)?.LeakPolicy ?? LeakPolicies.Default;
            var decision = LeakReport.Decide(key, item.Token.Token, policy, LeakReport.Reason(item.Token.Type, item.Url), LeakReport.Actor, now);
            if (decision.KeyEvents.Length > 0)
            {
                keys[key!.Id].AppendMany(decision.KeyEvents);
                states[key.Id] = decision.KeyEvents.Aggregate(key, (k, e) => VirtualKey.Evolve(k, e)!);
            }
            var truePositive = decision.Label == LeakLabels.TruePositive;
            session.Events.StartStream(LeakReport.StreamId(item.LeakId), new LeakReported(
                item.LeakId, item.Fingerprint, item.Token.Type, item.Url, item.Source, decision.Label, truePositive ? key!.Id : null,
                truePositive ? key!.App : null, decision.Action, reporter, LeakReport.Actor, now));
            recorded[item.LeakId] = decision.Label;
            if (truePositive)
                await bus.PublishAsync(new LeakAlert(item.LeakId, key!.Id, key.App, decision.Action, policy, item.Token.Type, item.Url, item.Source, now));
            return decision.Label;
        }
    }

    private static Item ItemOf(ReportedToken token)
    {
        var fingerprint = LeakReport.FingerprintOf(token.Token);
        var url = LeakReport.WithoutToken(token.Url, token.Token);
        var source = LeakReport.WithoutToken(token.Source, token.Token);
        return new Item(token, fingerprint, LeakReport.IdOf(fingerprint, token.Type, url, source), url, source, KeyFormat.TryGetKeyId(token.Token));
    }
}
