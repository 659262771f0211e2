using Governance.AuditVerifier;

namespace Governance.Tests.Integration.Audit;

[Collection(GovernanceCollection.Name)]
public sealed class when_history_is_exported_for_audit(GovernanceFixture fx)
{
    [Fact]
    public async Task the_whole_history_verifies_after_a_checkpoint()
    {
        await fx.IssueKey(Api.Unique("audit-app"), "*");
        await fx.Checkpoint();

        var export = await fx.Export();
        var report = fx.Verify(export);

        Assert.True(report.Intact, report.Describe() + "\n" + export[..Math.Min(3000, export.Length)]);
        Assert.True(report.Checkpoints >= 1);
        Assert.True(report.SignaturesChecked);
    }
}
