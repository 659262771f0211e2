using System.Text.Json;
using Governance.Tests.Integration.RealPath;

namespace Governance.Tests.Hosting;

/// <summary>
/// The proxy decides from memory and never talks to PostgreSQL: its dependency graph carries no store, no message bus
/// and no database driver, so none can be started by accident or widen what a compromised adapter can reach.
/// Read from the deps.json of the proxy as built (src/ProxyAdapter/bin/&lt;Configuration&gt;/net10.0), which lists every
/// package the process can load.
/// </summary>
public sealed class ProxyDependencyTests
{
    private static readonly string[] Forbidden = ["Marten", "WolverineFx", "Npgsql", "Weasel", "JasperFx"];

    [Fact]
    public void the_proxy_loads_no_marten_wolverine_or_npgsql()
    {
        var depsJson = Path.Combine(ServiceProcess.RepositoryRoot(), "src", "ProxyAdapter", "bin", ServiceProcess.Configuration(), "net10.0",
            "ProxyAdapter.deps.json");
        Assert.True(File.Exists(depsJson), $"{depsJson} not found: build the solution first.");

        using var deps = JsonDocument.Parse(File.ReadAllText(depsJson));
        var libraries = deps.RootElement.GetProperty("libraries").EnumerateObject().Select(l => l.Name.Split('/')[0]).ToList();

        Assert.Contains("Governance.Contracts", libraries);
        var offending = libraries.Where(l => Forbidden.Any(f => l.StartsWith(f, StringComparison.OrdinalIgnoreCase))).ToList();
        Assert.True(offending.Count == 0, "The proxy depends on " + string.Join(", ", offending));
    }
}
