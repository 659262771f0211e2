using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Governance.Contracts.Usage;
using Governance.Domain.Access;

namespace ProxyAdapter.Reporting;

/// <summary>
/// Ships the journal to the governance API in order: reports to <c>POST /api/usage</c>, denials to
/// <c>POST /api/denials</c>, minutes of refusals to <c>POST /api/refusals</c>, in batches of <see cref="JournalOptions.BatchSize"/>, each sent once it is full or
/// <see cref="JournalOptions.Linger"/> after its first record was read, whichever comes first. Until the API answers (it or its
/// PostgreSQL may be down) the same batch is retried with capped exponential backoff; request ids make the retries
/// safe. A batch the API refuses names the bad record (<c>"[i].field"</c>): that record goes to the dead-letter file
/// and the rest is sent again, so one bad record never holds up the others.
/// </summary>
public sealed partial class UsageShipper(UsageJournal journal, IHttpClientFactory clients, JournalOptions options, ILogger<UsageShipper> log)
    : BackgroundService
{
    private enum Answer { Done, Retry }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = options.MinBackoff;
        var failures = 0;
        List<JournalItem> usage = [], denials = [], refusals = [];
        var last = 0L;
        var filling = 0L;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // A batch that waits for the API is topped up with what arrived meanwhile, so an outage ends in full batches.
                foreach (var item in journal.ReadPending(options.BatchSize - usage.Count - denials.Count - refusals.Count))
                {
                    (item.Entry.Usage is not null ? usage : item.Entry.Denial is not null ? denials : refusals).Add(item);
                    last = item.Seq;
                }
                if (usage.Count + denials.Count + refusals.Count == 0)
                {
                    // Everything read is handled (a no-op unless the last acknowledgement failed to reach the disk).
                    journal.Acknowledge(last);
                    await journal.WaitForRecordsAsync(TimeSpan.FromSeconds(1), stoppingToken);
                    continue;
                }
                // One call for many requests' usage: the API's cost is mostly per call (a request, a transaction).
                if (filling == 0)
                    filling = Stopwatch.GetTimestamp();
                var lingerLeft = options.Linger - Stopwatch.GetElapsedTime(filling);
                if (failures == 0 && usage.Count + denials.Count + refusals.Count < options.BatchSize && lingerLeft > TimeSpan.Zero)
                {
                    await Task.Delay(lingerLeft, stoppingToken);
                    continue;
                }
                // A restart before the acknowledgement ships the whole batch again: the API answers duplicates.
                if ((usage.Count > 0 && await ShipAsync("api/usage", usage, stoppingToken) == Answer.Retry)
                    || (denials.Count > 0 && await ShipAsync("api/denials", denials, stoppingToken) == Answer.Retry)
                    || (refusals.Count > 0 && await ShipAsync("api/refusals", refusals, stoppingToken) == Answer.Retry))
                {
                    backoff = await BackOffAsync(backoff, ++failures, stoppingToken);
                    continue;
                }
                (backoff, failures, filling) = (options.MinBackoff, 0, 0);
                journal.Acknowledge(last);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The local disk (journal, watermark, dead-letter file) or an unreadable answer: keep the batch and try
                // again later. An exception escaping here would stop the whole adapter.
                log.LogError(e, "Shipping usage failed; the batch is kept and sent again");
                backoff = await BackOffAsync(backoff, ++failures, stoppingToken);
            }
        }
    }

    private async Task<TimeSpan> BackOffAsync(TimeSpan backoff, int failures, CancellationToken ct)
    {
        // Jitter keeps a fleet of adapters from hammering an API that just came back in lockstep.
        await Task.Delay(TimeSpan.FromTicks((long)(backoff.Ticks * (0.5 + Random.Shared.NextDouble() / 2))), ct);
        if (failures == 1 || failures % 20 == 0)
            log.LogWarning("The governance API has not taken usage for {Failures} attempts; {Pending} records wait in the journal",
                failures, journal.Backlog.PendingRecords);
        return TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, options.MaxBackoff.Ticks));
    }

    /// <summary>
    /// Ships <paramref name="items"/>, removing each record once it is handled, so a retry sends only the rest. A 400
    /// naming a record quarantines it and the rest is sent again at once; a 400 naming none sends the records one by
    /// one (a single record refused so is quarantined). Anything else — the API or its PostgreSQL down, a 5xx, a
    /// 401/403 from a bad token — is retried: nothing is dropped.
    /// </summary>
    private async Task<Answer> ShipAsync(string path, List<JournalItem> items, CancellationToken ct)
    {
        while (items.Count > 0)
        {
            object payload = path switch
            {
                "api/usage" => items.Select(i => i.Entry.Usage!).ToList(),
                "api/denials" => items.Select(i => DenialRecord.Of(i.Entry.Denial!)).ToList(),
                _ => items.Select(i => i.Entry.Refusals!).ToList(),
            };
            var (status, body) = await PostAsync(path, payload, ct);
            if (status == HttpStatusCode.OK)
                return Acknowledge(path, items, body);
            if (status != HttpStatusCode.BadRequest)
            {
                if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                    log.LogError("The governance API refuses this adapter's token for {Path} ({Status}); check Proxy:AdapterToken", path, (int)status);
                return Answer.Retry;
            }
            var (index, field, message) = FirstError(body);
            if (index is null && items.Count == 1)
                index = 0;
            if (index is { } bad && bad < items.Count)
            {
                journal.Quarantine(items[bad], field, message);
                items.RemoveAt(bad);
                continue;
            }
            log.LogError("The governance API refused a batch for {Path} without naming a record ({Field}: {Message}); sending it one by one", path, field, message);
            while (items.Count > 0)
            {
                if (await ShipAsync(path, [items[0]], ct) == Answer.Retry)
                    return Answer.Retry;
                items.RemoveAt(0);
            }
        }
        return Answer.Done;
    }

    private Answer Acknowledge(string path, List<JournalItem> items, string body)
    {
        if (path == "api/usage")
        {
            var outcomes = JsonSerializer.Deserialize<UsageResult>(body, JournalRecord.Json)?.Results;
            if (outcomes is null || outcomes.Count != items.Count)
            {
                log.LogError("The governance API answered a usage batch of {Count} with {Outcomes} outcomes; sending it again", items.Count, outcomes?.Count);
                return Answer.Retry;
            }
            journal.RaiseAcknowledged(items.Select((item, i) => (item.Entry.Usage!, outcomes[i])).ToList());
        }
        items.Clear();
        return Answer.Done;
    }

    private async Task<(HttpStatusCode Status, string Body)> PostAsync(string path, object records, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.RequestTimeout);
        try
        {
            var client = clients.CreateClient(GovernanceApiOptions.ClientName);
            using var response = await client.PostAsJsonAsync(path, records, JournalRecord.Json, timeout.Token);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(timeout.Token));
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            log.LogDebug(e, "Could not reach the governance API");
            return (HttpStatusCode.ServiceUnavailable, "");
        }
    }

    private static (int? Index, string Field, string Message) FirstError(string body)
    {
        try
        {
            using var problem = JsonDocument.Parse(body);
            if (problem.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
            {
                foreach (var error in errors.EnumerateObject())
                {
                    var message = error.Value.ValueKind == JsonValueKind.Array ? string.Join(" ", error.Value.EnumerateArray().Select(m => m.ToString())) : error.Value.ToString();
                    var match = IndexedField().Match(error.Name);
                    if (match.Success)
                        return (int.Parse(match.Groups[1].ValueSpan, provider: null), match.Groups[2].Value, message);
                }
                var first = errors.EnumerateObject().FirstOrDefault();
                return (null, first.Name ?? "", first.Value.ToString());
            }
        }
        catch (JsonException)
        {
        }
        return (null, "body", "The API answered 400 without problem details.");
    }

    [GeneratedRegex(@"^\[(\d+)\]\.?(.*)$")]
    private static partial Regex IndexedField();
}

/// <summary>The body of <c>POST /api/usage</c>'s answer.</summary>
public sealed record UsageResult(IReadOnlyList<UsageOutcome> Results);

/// <summary>
/// A denial as <c>POST /api/denials</c> takes it: the journal's record without its actor (the API records the denial as
/// the caller's, and refuses fields it does not know).
/// </summary>
public sealed record DenialRecord(
    string RequestId, string? KeyId, string? App, string Model, string Reason, string? Level, string? Owner, decimal? Remaining,
    decimal? WorstCaseCost, DateTimeOffset DeniedAt)
{
    /// <summary>The end user's pseudonym (never the id the app sent) and the tags; left out when there are none, as older APIs expect.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? User { get; init; }

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Tags { get; init; }

    public static DenialRecord Of(RequestDenied d) =>
        new(d.RequestId, d.KeyId, d.App, d.Model, d.Reason, d.Level, d.Owner, d.Remaining, d.WorstCaseCost, d.DeniedAt)
        {
            User = d.User, Tags = d.Tags is { Count: > 0 } tags ? tags : null,
        };
}
