using System.Reflection;
using Governance.Domain.Access;
using Governance.Domain.Approvals;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;
using Governance.Domain.Pricing;

namespace Governance.Tests.Domain;

/// <summary>What a refusal answers lives in one table (<see cref="DenialReason"/>); the grant rule in one decision.</summary>
public sealed class DenialReasonTests
{
    private static readonly DateTimeOffset Now = Given.Now;
    private static readonly ModelPolicy Restricted = new(true, 1, 30, null, null);
    private static readonly ModelDefinition Opus = new("claude-opus", "anthropic", "claude-opus-4",
        [new PriceVersion(1, 15m, 75m, null, Now.AddDays(-10), "test")], Now.AddDays(-10)) { Policy = Restricted };
    private static readonly ModelDefinition Mini = Opus with { Id = "gpt-4o-mini", Policy = null };

    private readonly string _keyId = KeyFormat.NewKeyId();
    private readonly string _secret;

    public DenialReasonTests() => _secret = KeyFormat.NewKey(_keyId);

    [Fact]
    public void every_denial_code_has_exactly_one_entry_with_a_status_and_a_message()
    {
        var codes = typeof(DenialReasons).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(codes, DenialReason.All.Select(r => r.Code).Order(StringComparer.Ordinal).ToList());
        Assert.All(DenialReason.All, r =>
        {
            Assert.InRange(r.HttpStatus, 400, 599);
            Assert.False(string.IsNullOrWhiteSpace(r.Message));
            Assert.Same(r, DenialReason.Of(r.Code));
        });
    }

    [Fact]
    public void a_code_this_build_does_not_know_is_refused_as_a_credential_problem_never_allowed()
    {
        var reason = DenialReason.Of("some_future_reason");

        Assert.Equal(("some_future_reason", 401, "Request denied."), (reason.Code, reason.HttpStatus, reason.Message));
        Assert.Equal(401, new AccessDecision(false, "some_future_reason", null, null).HttpStatus);
    }

    [Fact]
    public void a_restricted_model_without_a_live_grant_needs_approval()
    {
        var key = Given.Key(Given.Issued(["claude-opus"], null, KeyFormat.Hash(_secret), _keyId));
        var decision = AccessDecision.Decide(_secret, key, Opus.Id, Opus, Now);

        Assert.True(decision.NeedsGrant(Opus));
        var refused = decision.WithGrant(Opus, null);
        Assert.Equal((false, DenialReasons.ApprovalRequired, 403), (refused.Allowed, refused.Reason, refused.HttpStatus));
        Assert.Same(DenialReason.ApprovalRequired, refused.Denial);
    }

    [Fact]
    public void a_live_grant_admits_a_restricted_model_and_an_open_model_needs_none()
    {
        var key = Given.Key(Given.Issued(["claude-opus", "gpt-4o-mini"], null, KeyFormat.Hash(_secret), _keyId));
        var grant = new AccessRequest("acr_1", _keyId, Given.App, Opus.Id, "eval", 7, null, Restricted, "alice", Now.AddDays(-1),
            AccessStatus.Granted, [], Now.AddDays(-1), Now.AddDays(6), null, "bob", Now.AddDays(-1));

        Assert.True(AccessDecision.Decide(_secret, key, Opus.Id, Opus, Now).WithGrant(Opus, grant).Allowed);
        var open = AccessDecision.Decide(_secret, key, Mini.Id, Mini, Now);
        Assert.False(open.NeedsGrant(Mini));
        Assert.True(open.WithGrant(Mini, null).Allowed);
    }

    [Fact]
    public void a_refusal_already_decided_is_not_turned_into_approval_required()
    {
        var key = Given.Key(Given.Issued(["gpt-4o-mini"], null, KeyFormat.Hash(_secret), _keyId));
        var decision = AccessDecision.Decide(_secret, key, Opus.Id, Opus, Now);

        Assert.False(decision.NeedsGrant(Opus));
        Assert.Equal(DenialReasons.ModelNotAllowed, decision.WithGrant(Opus, null).Reason);
    }
}
