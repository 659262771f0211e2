using System.Diagnostics;
using System.Globalization;

namespace RebuildBenchmark;

/// <summary>CPU seconds of this process, of the PostgreSQL cluster's processes, and of the whole machine (from /proc).</summary>
internal sealed record CpuSnapshot(long Timestamp, double Self, IReadOnlyDictionary<int, double> Postgres, double MachineBusy, double MachineTotal);

/// <summary>Cores in use over a window (1.0 = one core busy the whole time).</summary>
internal sealed record CpuUse(double Benchmark, double Postgres, double Other)
{
    public static CpuUse Between(CpuSnapshot a, CpuSnapshot b, int cores)
    {
        var wall = (b.Timestamp - a.Timestamp) / (double)Stopwatch.Frequency;
        if (wall <= 0)
            return new CpuUse(0, 0, 0);
        var self = (b.Self - a.Self) / wall;
        var pg = b.Postgres.Sum(p => Math.Max(0, p.Value - a.Postgres.GetValueOrDefault(p.Key))) / wall;
        var total = b.MachineTotal - a.MachineTotal;
        var busy = total > 0 ? (b.MachineBusy - a.MachineBusy) / total * cores : 0;
        return new CpuUse(self, pg, Math.Max(0, busy - self - pg));
    }
}

internal sealed class Cpu(string? pgData)
{
    private static readonly double Ticks = 100; // USER_HZ on Linux
    private readonly int? _postmaster = ReadPostmaster(pgData);

    public CpuSnapshot Take()
    {
        var pg = new Dictionary<int, double>();
        if (_postmaster is { } pm)
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
                if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                    && Read(pid) is { } s && (pid == pm || s.Parent == pm))
                    pg[pid] = s.Cpu;
        var (busy, total) = Machine();
        return new CpuSnapshot(Stopwatch.GetTimestamp(), Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, pg, busy, total);
    }

    /// <summary>Waits (up to <paramref name="timeout"/>) until the rest of the machine uses fewer than <paramref name="cores"/> cores.</summary>
    public async Task<double> WaitQuietAsync(double cores, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var a = Take();
            await Task.Delay(1000);
            var use = CpuUse.Between(a, Take(), Environment.ProcessorCount);
            var others = use.Other + use.Postgres;
            if (cores <= 0 || others < cores || deadline.Elapsed > timeout)
                return others;
        }
    }

    private static (double Busy, double Total) Machine()
    {
        var line = File.ReadLines("/proc/stat").First();
        var v = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        var idle = v[3] + v[4];
        var total = v.Take(8).Sum();
        return (total - idle, total);
    }

    private static (double Cpu, int Parent)? Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return ((double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / Ticks,
                int.Parse(fields[1], CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static int? ReadPostmaster(string? dataDir)
    {
        try
        {
            return dataDir is null ? null : int.Parse(File.ReadLines(Path.Combine(dataDir, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}

