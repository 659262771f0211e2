using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Xunit.Abstractions;

namespace Governance.Tests.Integration.RealPath;

/// <summary>
/// Issue 17 point 4: two proxy adapters as shipped (their own processes: journal, shipper, lease wallet, feed) in front
/// of a stand-in upstream whose usage is below and above the worst case, one key with a tight budget, 200 concurrent
/// calls. What an operator must be able to rely on: the budget's books never promise more than the limit, nobody is
/// refused while there was room, every answered call is charged exactly once, every refusal is on record.
/// </summary>
public sealed class when_real_adapters_share_a_tight_budget(ITestOutputHelper output)
{
    // $1,000 per 1M output tokens, no input price: max_tokens 10 is a worst case of exactly $0.01.
    private const decimal OutputPricePer1M = 1_000m;
    private const int MaxTokens = 10;
    private const decimal WorstCase = MaxTokens * OutputPricePer1M / 1_000_000m;
    private const decimal Limit = 0.50m;

    private static decimal Cost(long tokens) => tokens * OutputPricePer1M / 1_000_000m;

    [Fact]
    public async Task the_books_stay_within_the_limit_no_call_is_refused_while_there_was_room_and_every_call_is_on_record()
    {
        // A provider taking 100-300 ms: many calls are in flight at once, so refusals come while the budget is held by
        // calls in flight on both adapters, not only once it is spent, and a refusal that ignored room would show.
        await using var deployment = await RealDeployment.StartAsync((100, 300));
        var model = await deployment.ModelAsync(OutputPricePer1M);
        var key = await deployment.Send(HttpMethod.Post, "/api/keys", new { app = "real-path", name = "tight", models = new[] { model } });
        var keyId = key.GetProperty("id").GetString()!;
        await deployment.Send(HttpMethod.Put, $"/api/budgets/key/{keyId}", new { limit = Limit, period = "monthly" });
        // Started after the set-up, the adapters load the key and its budget from the snapshot.
        ServiceProcess[] adapters = [await deployment.StartAdapterAsync("edge-a"), await deployment.StartAdapterAsync("edge-b")];

        var samples = new ConcurrentQueue<JsonElement>();
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                samples.Enqueue(await deployment.Budget(keyId));
                await Task.Delay(10); // pacing of the sampler, not synchronisation
            }
        });

        // A quarter of the calls use more than max_tokens (11-15 tokens), the rest less (1-9).
        var random = new Random(17);
        var plan = Enumerable.Range(0, 200).Select(i => (Adapter: adapters[i % 2], Tokens: (long)(i % 4 == 0 ? random.Next(11, 16) : random.Next(1, 10)),
            Stagger: random.Next(0, 600))).ToList();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var clock = Stopwatch.StartNew();
        var calls = await Task.WhenAll(plan.Select(async p =>
        {
            await Task.Delay(p.Stagger); // spreads the 200 concurrent calls over 0.6 s, so some finish before others start
            return await ProxyCall.SendAsync(client, p.Adapter, key.GetProperty("key").GetString()!, model, MaxTokens, p.Tokens, clock);
        }));
        await sampling.CancelAsync();
        await sampler;

        var answered = calls.Where(c => c.Status == HttpStatusCode.OK).ToList();
        var refused = calls.Where(c => c.Status != HttpStatusCode.OK).ToList();
        output.WriteLine($"{answered.Count} answered ({answered.Count(c => c.Tokens > MaxTokens)} above their worst case), {refused.Count} refused, " +
            $"{samples.Count} budget samples");
        Assert.All(refused, c => Assert.Equal((HttpStatusCode.TooManyRequests, "budget_exceeded"), (c.Status, c.Code)));
        Assert.True(refused.Count > 0 && answered.Any(c => c.Tokens > MaxTokens), "The budget was not tight or no call overran: the test proved nothing.");

        // Never more promised than the limit: what is settled within the worst cases, plus what is held and leased.
        // (A call that costs more than its worst case is charged in full; the excess is the window's overrun.)
        Assert.All(samples, b => Assert.True(
            b.GetProperty("settled").GetDecimal() - b.GetProperty("overrun").GetDecimal() + b.GetProperty("held").GetDecimal()
            + b.GetProperty("leased").GetDecimal() <= Limit, b.ToString()));

        // No false denial: when a refusal arrived, the calls sent before it (answered, on either adapter) committed at
        // most their worst case or their cost, whichever is more; the refusal had to find less than its worst case left.
        var tightest = decimal.MaxValue;
        foreach (var refusal in refused)
        {
            var committed = answered.Where(c => c.SentAt < refusal.AnsweredAt).Sum(c => Math.Max(Cost(c.Tokens), WorstCase));
            tightest = Math.Min(tightest, committed);
            Assert.True(Limit - committed < WorstCase,
                $"{refusal.RequestId} was refused at {refusal.AnsweredAt.TotalMilliseconds:F0} ms with at most {committed} committed of {Limit}");
        }
        output.WriteLine($"the earliest refusal found at most {tightest} committed of {Limit}");

        // Every answered call in the ledger exactly once, at its cost; every refusal recorded as a denial.
        await deployment.AssertOnRecordOnceAsync(calls);
        var budget = await Wait.For(() => deployment.Budget(keyId),
            b => b.GetProperty("settled").GetDecimal() == answered.Sum(c => Cost(c.Tokens)), "the budget to have settled every answered call");
        Assert.Equal(answered.Where(c => c.Tokens > MaxTokens).Sum(c => Cost(c.Tokens) - WorstCase), budget.GetProperty("overrun").GetDecimal());
    }
}

/// <summary>One call through an adapter (its URL), as a client sees it: when it was sent and answered (on the test's clock), status, refusal code, request id.</summary>
public sealed record ProxyCall(string Adapter, long Tokens, TimeSpan SentAt, TimeSpan AnsweredAt, HttpStatusCode Status, string? Code, string RequestId)
{
    public static async Task<ProxyCall> SendAsync(HttpClient client, ServiceProcess adapter, string key, string model, int maxTokens, long tokens, Stopwatch clock)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, adapter.Url + "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model, max_tokens = maxTokens, messages = new[] { new { role = "user", content = StandInUpstream.Prompt(tokens) } } }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var sent = clock.Elapsed;
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var answered = clock.Elapsed;
        string? code = null;
        if (response.StatusCode != HttpStatusCode.OK)
            code = JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("code").GetString();
        return new ProxyCall(adapter.Url, tokens, sent, answered, response.StatusCode, code, response.Headers.GetValues("x-request-id").Single());
    }
}
