using System.Globalization;

namespace IngestBenchmark;

/// <summary>
/// CPU seconds of the API process, of each PostgreSQL process of the cluster (by pid: backends come and go), of this
/// process, and of the whole machine (from /proc).
/// </summary>
internal sealed record CpuSnapshot(
    long Timestamp, double Api, IReadOnlyDictionary<int, double> Postgres, double Self, double MachineBusy, double MachineIowait, double MachineTotal)
{
    /// <summary>PostgreSQL CPU between two snapshots: per process, a process that started meanwhile counts from zero.</summary>
    public static double PostgresBetween(CpuSnapshot a, CpuSnapshot b) =>
        b.Postgres.Sum(p => Math.Max(0, p.Value - a.Postgres.GetValueOrDefault(p.Key)));
}

/// <summary>Cores in use over a window (1.0 = one core busy the whole time).</summary>
internal sealed record CpuUse(double Api, double Postgres, double LoadGenerator, double Other, double Iowait, double Idle)
{
    public static CpuUse Between(CpuSnapshot a, CpuSnapshot b, int cores)
    {
        var wall = (b.Timestamp - a.Timestamp) / (double)System.Diagnostics.Stopwatch.Frequency;
        if (wall <= 0)
            return new CpuUse(0, 0, 0, 0, 0, 0);
        var api = (b.Api - a.Api) / wall;
        var pg = CpuSnapshot.PostgresBetween(a, b) / wall;
        var self = (b.Self - a.Self) / wall;
        var total = b.MachineTotal - a.MachineTotal;
        var busy = total > 0 ? (b.MachineBusy - a.MachineBusy) / total * cores : 0;
        var iowait = total > 0 ? (b.MachineIowait - a.MachineIowait) / total * cores : 0;
        return new CpuUse(api, pg, self, Math.Max(0, busy - api - pg - self), iowait, Math.Max(0, cores - busy - iowait));
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"api {Api:0.00}, pg {Postgres:0.00}, loadgen {LoadGenerator:0.00}, other {Other:0.00}, iowait {Iowait:0.00}, idle {Idle:0.00}");
}

internal sealed class CpuSampler(int? apiPid, string? pgData, double clockTicks)
{
    private readonly int? _postmaster = ReadPostmaster(pgData);

    public bool HasApi => apiPid is not null && File.Exists($"/proc/{apiPid}/stat");
    public bool HasPostgres => _postmaster is not null;

    public CpuSnapshot Take()
    {
        double api = 0;
        var pg = new Dictionary<int, double>();
        if (apiPid is { } a && Read(a) is { } apiStat)
            api = apiStat.Cpu;
        if (_postmaster is { } pm)
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                    continue;
                if (Read(pid) is { } s && (pid == pm || s.Parent == pm))
                    pg[pid] = s.Cpu;
            }
        }
        var self = Read(Environment.ProcessId)?.Cpu ?? 0;
        var (busy, iowait, total) = Machine();
        return new CpuSnapshot(System.Diagnostics.Stopwatch.GetTimestamp(), api, pg, self, busy, iowait, total);
    }

    private (int Parent, double Cpu)? Read(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after "(comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return (parent, ticks / clockTicks);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null; // the process ended meanwhile
        }
    }

    private static (double Busy, double Iowait, double Total) Machine()
    {
        try
        {
            var line = File.ReadLines("/proc/stat").First();
            var v = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
                .Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
            // user nice system idle iowait irq softirq steal
            var total = v.Sum();
            return (total - v[3] - v[4], v[4], total);
        }
        catch (IOException)
        {
            return (0, 0, 0);
        }
    }

    private static int? ReadPostmaster(string? pgData)
    {
        if (pgData is null)
            return null;
        try
        {
            var first = File.ReadLines(Path.Combine(pgData, "postmaster.pid")).FirstOrDefault();
            return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

internal static class Quiet
{
    /// <summary>
    /// Waits (up to <paramref name="timeout"/>) until processes other than the API, PostgreSQL and this one use less than
    /// <paramref name="maxOtherCores"/> over a one-second sample, so a shared machine's other work does not distort a run.
    /// Returns the last sample's "other" load.
    /// </summary>
    public static async Task<double> WaitAsync(CpuSampler cpu, double maxOtherCores, TimeSpan timeout)
    {
        if (maxOtherCores <= 0)
            return double.NaN;
        var deadline = DateTime.UtcNow + timeout;
        var told = false;
        while (true)
        {
            var a = cpu.Take();
            await Task.Delay(1000);
            var other = CpuUse.Between(a, cpu.Take(), Environment.ProcessorCount).Other;
            if (other < maxOtherCores)
                return other;
            if (DateTime.UtcNow >= deadline)
            {
                Console.WriteLine($"  (machine still busy: other processes use {other:0.00} cores; running anyway)");
                return other;
            }
            if (!told)
            {
                Console.WriteLine($"  waiting for other processes to calm down ({other:0.00} cores busy; up to {timeout.TotalSeconds:0} s) ...");
                told = true;
            }
        }
    }
}
