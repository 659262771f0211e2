using System.Diagnostics;

namespace IngestBenchmark;

/// <summary>What one request (one batch) did: records newly accepted, records reported duplicate, or an error.</summary>
internal readonly record struct Outcome(int Accepted, int Duplicates, string? Error = null);

/// <summary>Everything measured in one timed window; the snapshots are taken at the window's start and end.</summary>
internal sealed record LoadResult<TSnapshot>(
    double Seconds, long Requests, long Accepted, long Duplicates, long Errors, string? FirstError, long AllAccepted,
    double[] LatenciesMs, TSnapshot Start, TSnapshot End, bool CapReached)
{
    public double AcceptedPerSecond => Accepted / Seconds;
    public double P(double q) => Stats.Percentile(LatenciesMs, q);
}

internal static class LoadRunner
{
    /// <summary>
    /// Runs <paramref name="senders"/> closed-loop senders: warm-up, then a timed window. A request counts when it
    /// completes inside the window (requests in flight at the start count, those in flight at the end do not, which
    /// balances out). New requests stop at the window's end; the ones in flight are awaited but not counted.
    /// </summary>
    public static async Task<LoadResult<TSnapshot>> RunAsync<TSnapshot>(
        int senders, TimeSpan warmup, TimeSpan duration, long maxRecords,
        Func<int, Task<Outcome>> send, Func<Task<TSnapshot>> snapshot)
    {
        var frequency = (double)Stopwatch.Frequency;
        var begin = Stopwatch.GetTimestamp();
        var t0 = begin + (long)(warmup.TotalSeconds * frequency);
        var t1 = t0 + (long)(duration.TotalSeconds * frequency);
        var latencies = new List<double>[senders];
        long requests = 0, accepted = 0, duplicates = 0, errors = 0, allAccepted = 0;
        string? firstError = null;
        var capReached = false;
        var lastCounted = t0;
        var gate = new object();

        async Task Sender(int index)
        {
            var mine = latencies[index] = new List<double>(4096);
            long myRequests = 0, myAccepted = 0, myDuplicates = 0, myErrors = 0, myAll = 0, myLast = t0;
            var consecutiveErrors = 0;
            while (Stopwatch.GetTimestamp() < t1)
            {
                if (myAll >= maxRecords / senders)
                {
                    capReached = true;
                    break;
                }
                var a = Stopwatch.GetTimestamp();
                var outcome = await send(index);
                var b = Stopwatch.GetTimestamp();
                if (outcome.Error is not null)
                {
                    myErrors++;
                    lock (gate)
                        firstError ??= outcome.Error;
                    if (++consecutiveErrors >= 20)
                        throw new InvalidOperationException($"20 consecutive failed requests; first error: {firstError}");
                    continue;
                }
                consecutiveErrors = 0;
                myAll += outcome.Accepted;
                if (b < t0 || b > t1)
                    continue;
                mine.Add((b - a) * 1000.0 / frequency);
                myRequests++;
                myAccepted += outcome.Accepted;
                myDuplicates += outcome.Duplicates;
                myLast = b;
            }
            lock (gate)
            {
                requests += myRequests;
                accepted += myAccepted;
                duplicates += myDuplicates;
                errors += myErrors;
                allAccepted += myAll;
                lastCounted = Math.Max(lastCounted, myLast);
            }
        }

        async Task<(TSnapshot Start, TSnapshot End)> Snapshots()
        {
            await DelayUntil(t0);
            var start = await snapshot();
            await DelayUntil(t1);
            return (start, await snapshot());
        }

        var window = Snapshots();
        await Task.WhenAll(Enumerable.Range(0, senders).Select(i => Task.Run(() => Sender(i))));
        var (s0, s1) = await window;
        var seconds = capReached ? (lastCounted - t0) / frequency : duration.TotalSeconds;
        return new LoadResult<TSnapshot>(Math.Max(seconds, 1e-3), requests, accepted, duplicates, errors, firstError, allAccepted,
            latencies.SelectMany(l => l ?? []).ToArray(), s0, s1, capReached);
    }

    private static async Task DelayUntil(long timestamp)
    {
        var remaining = (timestamp - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency;
        if (remaining > 0)
            await Task.Delay(TimeSpan.FromSeconds(remaining));
    }
}

internal static class Stats
{
    public static double Percentile(double[] values, double q)
    {
        if (values.Length == 0)
            return double.NaN;
        var sorted = values.Order().ToArray();
        var rank = q * (sorted.Length - 1);
        var lo = (int)Math.Floor(rank);
        var hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0)
            return double.NaN;
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
