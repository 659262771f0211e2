using Governance.Domain.Keys;
using Governance.Domain.Leaks;

namespace Governance.Tests.Domain;

/// <summary>What a reported token does to the key it names: the label answered and the key's events, by the app's policy.</summary>
public sealed class LeakReportTests
{
    private static readonly DateTimeOffset Now = Given.Now;
    private static readonly string Id = KeyFormat.NewKeyId();
    private static readonly string Token = KeyFormat.NewKey(Id);

    private static VirtualKey Live(params object[] later) =>
        Given.Key([Given.Issued(secretHash: KeyFormat.Hash(Token), keyId: Id), .. later]);

    private static LeakDecision Decide(VirtualKey? key, string policy = LeakPolicies.Revoke, string? token = null) =>
        LeakReport.Decide(key, token ?? Token, policy, "leaked: reported", LeakReport.Actor, Now);

    [Fact]
    public void a_live_key_is_revoked_by_default_suspended_or_only_alerted_by_its_apps_policy()
    {
        var revoked = Decide(Live());
        var suspended = Decide(Live(), LeakPolicies.Suspend);
        var alerted = Decide(Live(), LeakPolicies.Alert);

        Assert.Equal((LeakLabels.TruePositive, LeakActions.Revoked), (revoked.Label, revoked.Action));
        Assert.Equal(LeakReport.Actor, Assert.IsType<KeyRevoked>(Assert.Single(revoked.KeyEvents)).RevokedBy);
        Assert.Equal((LeakLabels.TruePositive, LeakActions.Suspended), (suspended.Label, suspended.Action));
        Assert.IsType<KeySuspended>(Assert.Single(suspended.KeyEvents));
        Assert.Equal((LeakLabels.TruePositive, LeakActions.Alerted), (alerted.Label, alerted.Action));
        Assert.Empty(alerted.KeyEvents);
    }

    [Fact]
    public void a_made_up_secret_for_a_real_key_id_or_an_unknown_key_is_a_false_positive_that_touches_nothing()
    {
        var forged = Decide(Live(), token: KeyFormat.NewKey(Id));
        var unknown = Decide(null);

        Assert.Equal((LeakLabels.FalsePositive, LeakActions.None), (forged.Label, forged.Action));
        Assert.Empty(forged.KeyEvents);
        Assert.Equal((LeakLabels.FalsePositive, LeakActions.None), (unknown.Label, unknown.Action));
    }

    [Fact]
    public void a_key_already_revoked_is_a_true_positive_with_nothing_to_do()
    {
        var key = Live(new KeyRevoked(Id, "earlier", Given.Admin, Now.AddMinutes(-1)));

        var decision = Decide(key);

        Assert.Equal((LeakLabels.TruePositive, LeakActions.AlreadyRevoked), (decision.Label, decision.Action));
        Assert.Empty(decision.KeyEvents);
    }

    [Fact]
    public void the_report_id_is_the_same_for_the_same_token_at_the_same_place_and_differs_elsewhere()
    {
        var fingerprint = LeakReport.FingerprintOf(Token);

        Assert.Equal(LeakReport.IdOf(fingerprint, "t", "https://a", "content"), LeakReport.IdOf(fingerprint, "t", "https://a", "content"));
        Assert.NotEqual(LeakReport.IdOf(fingerprint, "t", "https://a", "content"), LeakReport.IdOf(fingerprint, "t", "https://b", "content"));
        Assert.DoesNotContain(Token, LeakReport.WithoutToken($"https://x/?q={Token}", Token));
    }
}
