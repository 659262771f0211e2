using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Xunit.Abstractions;

namespace Governance.Tests.Integration.RealPath;

/// <summary>
/// Issue 17 point 4: <c>kill -9</c> of one of two adapters (processes as shipped) while both carry calls against a
/// budget, then a restart with the same id and journal. Its journal ships every call it answered, once; the leases it
/// held when it died expire or are returned; the budget's settled spend equals what the ledger charged.
/// </summary>
public sealed class when_an_adapter_is_killed_mid_traffic(ITestOutputHelper output)
{
    private const decimal OutputPricePer1M = 1_000m;
    private const int MaxTokens = 10;
    private const decimal Limit = 20m; // room for every call of the test: refusals are the other test's subject

    [Fact]
    public async Task its_journal_ships_every_answered_call_once_its_leases_are_released_and_the_budget_reconciles()
    {
        // Short leases, renewed every second, so a dead adapter's leases run out within the test.
        await using var deployment = await RealDeployment.StartAsync((5, 25), new Dictionary<string, string> { ["Leases__TtlSeconds"] = "4" });
        var model = await deployment.ModelAsync(OutputPricePer1M);
        var key = await deployment.Send(HttpMethod.Post, "/api/keys", new { app = "real-path", name = "killed", models = new[] { model } });
        var keyId = key.GetProperty("id").GetString()!;
        await deployment.Send(HttpMethod.Put, $"/api/budgets/key/{keyId}", new { limit = Limit, period = "monthly" });
        var adapterSettings = new Dictionary<string, string> { ["Proxy__LeaseRenewSeconds"] = "1" };
        var a = await deployment.StartAdapterAsync("edge-a", adapterSettings);
        var b = await deployment.StartAdapterAsync("edge-b", adapterSettings);

        var calls = new ConcurrentQueue<ProxyCall>();
        var lost = 0;
        var back = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var current = new[] { a, b };
        using var stop = new CancellationTokenSource();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var clock = Stopwatch.StartNew();
        var random = new Random(5);
        var loops = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                try
                {
                    // Below and above the worst case, as in the tight-budget test.
                    calls.Enqueue(await ProxyCall.SendAsync(client, current[i % 2], key.GetProperty("key").GetString()!, model, MaxTokens,
                        n % 4 == 0 ? 12 : 1 + (n % 9), clock));
                }
                catch (HttpRequestException)
                {
                    // The call died with the adapter: its outcome is unknown to the client. Wait for the restart.
                    Interlocked.Increment(ref lost);
                    await back.Task;
                }
            }
        })).ToList();

        int AnsweredBy(ServiceProcess adapter) => calls.Count(c => c.Adapter == adapter.Url && c.Status == HttpStatusCode.OK);
        await Wait.For(() => AnsweredBy(a) >= 100, "edge-a to answer 100 calls");
        await a.KillAsync();
        var answeredBeforeKill = AnsweredBy(a);
        var killedAt = clock.Elapsed;
        await Wait.For(() => Volatile.Read(ref lost) == 4, "edge-a's four client loops to find it dead");
        var restarted = await deployment.StartAdapterAsync("edge-a");
        current[0] = restarted;
        back.SetResult();
        var backAt = clock.Elapsed;
        await Wait.For(() => AnsweredBy(restarted) >= 50 && AnsweredBy(b) >= 150, "both adapters to answer calls after the restart");
        await stop.CancelAsync();
        await Task.WhenAll(loops);

        var answered = calls.Where(c => c.Status == HttpStatusCode.OK).ToList();
        var refused = calls.Where(c => c.Status != HttpStatusCode.OK).ToList();
        output.WriteLine($"edge-a answered {answeredBeforeKill} before kill -9 (pid {a.Id}); {answered.Count} answered in all, {refused.Count} refused, " +
            $"{lost} lost with the connection; killed at {killedAt.TotalMilliseconds:F0} ms, back at {backAt.TotalMilliseconds:F0} ms");
        Assert.Empty(refused.Select(c => $"{c.RequestId} {(int)c.Status} {c.Code} by {(c.Adapter == b.Url ? "edge-b" : "edge-a")} at {c.SentAt.TotalMilliseconds:F0} ms"));

        // Every answered call, including those edge-a answered before it died, is in the ledger exactly once.
        await deployment.AssertOnRecordOnceAsync(calls);

        // The dead process's leases expire or are returned; nothing stays held.
        var budget = await Wait.For(() => deployment.Budget(keyId),
            b => b.GetProperty("leased").GetDecimal() == 0m && b.GetProperty("held").GetDecimal() == 0m, "every lease to expire or be returned");
        // The books reconcile: settled is what the ledger charged, every answered call's cost is in it.
        var (charged, entries) = await deployment.LedgerOf(keyId);
        Assert.Equal(charged, budget.GetProperty("settled").GetDecimal());
        Assert.InRange(entries, answered.Count, answered.Count + lost);
        Assert.True(charged >= answered.Sum(c => c.Tokens * OutputPricePer1M / 1_000_000m), budget.ToString());
        Assert.True(charged - budget.GetProperty("overrun").GetDecimal() <= Limit, budget.ToString());
    }
}
