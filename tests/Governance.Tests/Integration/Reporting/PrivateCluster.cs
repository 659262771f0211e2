using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Governance.Tests.Integration.Reporting;

/// <summary>
/// A PostgreSQL cluster of the test's own (as scripts/pg.sh makes them: initdb + pg_ctl from /usr/lib/postgresql/*/bin,
/// run as the postgres user when we are root), on a free port with its data under .data/, so a test can stop it,
/// kill it and start it again without disturbing anything else.
/// </summary>
public sealed class PrivateCluster : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _data;
    private readonly string _socket;
    private readonly int _port;

    private PrivateCluster(string bin, string data, string socket, int port) => (_bin, _data, _socket, _port) = (bin, data, socket, port);

    public string ConnectionString => $"Host=127.0.0.1;Port={_port};Database=postgres;Username=postgres;Timeout=3;Command Timeout=10";

    public static async Task<PrivateCluster> CreateAsync(string name)
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Where(d => int.TryParse(Path.GetFileName(d), out _) && File.Exists(Path.Combine(d, "bin", "initdb")))
                .OrderByDescending(d => int.Parse(Path.GetFileName(d)))
                .Select(d => Path.Combine(d, "bin"))
                .FirstOrDefault()
            : null;
        if (bin is null)
            throw new InvalidOperationException("No PostgreSQL server binaries under /usr/lib/postgresql/*/bin (./test.sh installs them).");
        var suffix = $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)];
        var dataRoot = Path.Combine(RepositoryRoot(), ".data");
        Directory.CreateDirectory(dataRoot);
        // The postgres user must reach the data directory through every parent (as in scripts/pg.sh).
        if (Environment.IsPrivilegedProcess && await RunAsync("runuser", "-u", "postgres", "--", "test", "-x", dataRoot, "--ignore") != 0)
            dataRoot = "/var/tmp";
        var cluster = new PrivateCluster(bin, Path.Combine(dataRoot, "pg-" + suffix), Path.Combine(Path.GetTempPath(), "pg-sock-" + suffix), FreePort());
        Directory.CreateDirectory(cluster._data);
        Directory.CreateDirectory(cluster._socket);
        if (Environment.IsPrivilegedProcess)
            await RunAsync("chown", "postgres:postgres", cluster._data, cluster._socket);
        await cluster.AsOwnerAsync("initdb", "-D", cluster._data, "-U", "postgres", "--no-locale", "-E", "UTF8", "--auth=trust");
        await cluster.StartAsync();
        return cluster;
    }

    public Task<int> StartAsync() => AsOwnerAsync("pg_ctl", "start", "-w", "-t", "60", "-D", _data, "-l", Path.Combine(_data, "server.log"), "-o",
        $"-p {_port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={_socket} -c max_connections=100 -c fsync=off -c full_page_writes=off");

    /// <summary><c>pg_ctl stop -m fast</c>: open transactions are rolled back, sessions are ended.</summary>
    public Task<int> StopFastAsync() => AsOwnerAsync("pg_ctl", "stop", "-w", "-m", "fast", "-D", _data);

    /// <summary><c>kill -9</c> of the postmaster and its processes, as a crash would; the next start runs crash recovery.</summary>
    public async Task KillAsync()
    {
        var postmaster = int.Parse(File.ReadLines(Path.Combine(_data, "postmaster.pid")).First());
        var children = Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(p => int.TryParse(p, out _))
            .Where(p => ParentOf(p!) == postmaster).Select(p => int.Parse(p!)).ToList();
        await RunAsync("kill", "-9", postmaster.ToString());
        foreach (var child in children)
            await RunAsync("kill", "-9", child.ToString(), "--ignore");
        foreach (var pid in children.Prepend(postmaster))
            await Wait.For(() => !Directory.Exists($"/proc/{pid}"), $"PostgreSQL process {pid} to die", TimeSpan.FromSeconds(30));
    }

    private static int? ParentOf(string pid)
    {
        try
        {
            // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await AsOwnerAsync("pg_ctl", "stop", "-w", "-m", "immediate", "-D", _data);
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
        NpgsqlConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
        Directory.Delete(_socket, recursive: true);
    }

    private Task<int> AsOwnerAsync(string tool, params string[] args) => Environment.IsPrivilegedProcess
        ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. args])
        : RunAsync(Path.Combine(_bin, tool), args);

    /// <summary>Runs a tool; a failure throws, unless "--ignore" is among the arguments. Returns the exit code.</summary>
    private static async Task<int> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var arg in args.Where(a => a != "--ignore"))
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0 && !args.Contains("--ignore"))
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await stdout}{await stderr}");
        return process.ExitCode;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Governance.sln")))
                return directory.FullName;
        throw new InvalidOperationException("Governance.sln not found above " + AppContext.BaseDirectory);
    }
}
