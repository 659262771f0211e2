using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Governance.Tests.Integration.RealPath;

/// <summary>
/// A service of this solution run as it is shipped: <c>dotnet &lt;Name&gt;.dll</c> from its own build output (its appsettings.json,
/// its deps), configured by environment variables as run.sh configures it, on a free 127.0.0.1 port.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ServiceProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }
    public int Id => _process.Id;
    public bool Exited => _process.HasExited;
    public string Output => string.Join('\n', _output);

    /// <summary>Starts <paramref name="project"/> (e.g. "ProxyAdapter") and waits until it answers /health/ready.</summary>
    public static async Task<ServiceProcess> StartAsync(string project, IReadOnlyDictionary<string, string> settings)
    {
        var directory = Path.Combine(RepositoryRoot(), "src", project, "bin", Configuration(), "net10.0");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(directory, project + ".dll"));
        var url = $"http://127.0.0.1:{FreePort()}";
        start.Environment["ASPNETCORE_URLS"] = url;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (name, value) in settings)
            start.Environment[name] = value;
        var process = Process.Start(start)!;
        var service = new ServiceProcess(process, url);
        process.OutputDataReceived += (_, line) => { if (line.Data is not null) service._output.Enqueue(line.Data); };
        process.ErrorDataReceived += (_, line) => { if (line.Data is not null) service._output.Enqueue(line.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Wait.For(async () =>
        {
            Assert.False(process.HasExited, $"{project} exited during start-up:\n{service.Output}");
            try
            {
                using var ready = await probe.GetAsync(url + "/health/ready");
                return ready.StatusCode == HttpStatusCode.OK;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                return false; // not listening yet, or too busy starting to answer within the probe's 2 s
            }
        }, $"{project} to be ready on {url}", TimeSpan.FromSeconds(60));
        return service;
    }

    /// <summary><c>kill -9</c>: no shutdown hook runs, nothing is flushed or returned.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
            await KillAsync();
        _process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The build configuration the tests were built in (…/bin/&lt;Configuration&gt;/net10.0/): the services were built with them.</summary>
    internal static string Configuration() => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    internal static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Governance.sln")))
                return directory.FullName;
        throw new InvalidOperationException("Governance.sln not found above " + AppContext.BaseDirectory);
    }
}
