using Governance.Projections;
using Marten;

namespace Governance.Tests.Audit;

public sealed class AuditDocumentationTests
{
    /// <summary>docs/audit.md lists the PCI DSS fields of every event type; a new event needs its row.</summary>
    [Fact]
    public void every_mapped_event_type_has_a_row_in_the_audit_table()
    {
        var options = new StoreOptions().ConfigureGovernance("Host=localhost;Database=unused", "unused");
        var mapped = ((IReadOnlyStoreOptions)options).Events.AllKnownEventTypes()
            .Where(t => t.EventType.Namespace!.StartsWith("Governance.", StringComparison.Ordinal))
            .Select(t => t.EventTypeName)
            .ToList();
        var document = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "audit.md"));

        Assert.True(mapped.Count > 30);
        var missing = mapped.Where(name => !document.Contains($"| `{name}` |", StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, "Event types without a row in docs/audit.md: " + string.Join(", ", missing));
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Governance.sln")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("Governance.sln not found above " + AppContext.BaseDirectory);
    }
}
