using Governance.Domain.Pricing;
using Governance.Domain.Access;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;

namespace Governance.Tests.Domain;

public sealed class AccessDecisionTests
{
    private static readonly DateTimeOffset Now = Given.Now;
    private const string Model = "gpt-4o-mini";
    private static readonly ModelDefinition Mini = new(Model, "openai", "gpt-4o-mini-2024-07-18", [new PriceVersion(1, 0.15m, 0.6m, null, Now.AddDays(-10), "test")], Now.AddDays(-10));
    private static readonly ModelDefinition Gpt4o = new("gpt-4o", "openai", "gpt-4o", [new PriceVersion(1, 2.5m, 10m, null, Now.AddDays(-10), "test")], Now.AddDays(-10));

    private readonly string _keyId = KeyFormat.NewKeyId();
    private readonly string _secret;

    public AccessDecisionTests() => _secret = KeyFormat.NewKey(_keyId);

    private KeyIssued Issued(string[]? models = null, DateTimeOffset? expiresAt = null) =>
        Given.Issued(models, expiresAt, KeyFormat.Hash(_secret), _keyId);

    private static void AssertDenied(AccessDecision decision, string reason, int status)
    {
        Assert.False(decision.Allowed);
        Assert.Equal(reason, decision.Reason);
        Assert.Equal(status, decision.HttpStatus);
    }

    [Fact]
    public void a_valid_key_calling_a_model_in_its_scope_is_allowed()
    {
        var decision = AccessDecision.Decide(_secret, Given.Key(Issued()), Model, Mini, Now);

        Assert.Equal(new AccessDecision(true, null, _keyId, Given.App), decision);
        Assert.Equal(200, decision.HttpStatus);
    }

    [Fact]
    public void a_key_that_does_not_exist_is_denied_as_unknown()
    {
        var decision = AccessDecision.Decide(_secret, null, Model, Mini, Now);

        AssertDenied(decision, DenialReasons.UnknownKey, 401);
        Assert.Null(decision.KeyId);
        Assert.Null(decision.App);
    }

    [Fact]
    public void a_wrong_secret_for_an_existing_key_id_is_denied_as_unknown_without_revealing_the_key()
    {
        var forged = KeyFormat.NewKey(_keyId);

        var decision = AccessDecision.Decide(forged, Given.Key(Issued()), Model, Mini, Now);

        AssertDenied(decision, DenialReasons.UnknownKey, 401);
        Assert.Null(decision.KeyId);
        Assert.Null(decision.App);
    }

    [Fact]
    public void a_wrong_secret_for_a_revoked_key_does_not_reveal_that_it_was_revoked()
    {
        var key = Given.Key(Issued(), new KeyRevoked(_keyId, "leaked", "alice", Now.AddHours(-1)));

        var decision = AccessDecision.Decide(KeyFormat.NewKey(_keyId), key, Model, Mini, Now);

        AssertDenied(decision, DenialReasons.UnknownKey, 401);
        Assert.Null(decision.KeyId);
    }

    [Fact]
    public void a_revoked_key_is_denied()
    {
        var key = Given.Key(Issued(), new KeyRevoked(_keyId, "leaked", "alice", Now.AddHours(-1)));

        var decision = AccessDecision.Decide(_secret, key, Model, Mini, Now);

        AssertDenied(decision, DenialReasons.Revoked, 401);
        Assert.Equal(_keyId, decision.KeyId);
        Assert.Equal(Given.App, decision.App);
    }

    [Fact]
    public void a_key_past_its_expiry_is_denied_without_any_event()
    {
        var key = Given.Key(Issued(expiresAt: Now));

        AssertDenied(AccessDecision.Decide(_secret, key, Model, Mini, Now), DenialReasons.Expired, 401);
        AssertDenied(AccessDecision.Decide(_secret, key, Model, Mini, Now.AddDays(3)), DenialReasons.Expired, 401);
    }

    [Fact]
    public void a_key_is_still_allowed_one_tick_before_it_expires()
    {
        var key = Given.Key(Issued(expiresAt: Now));

        Assert.True(AccessDecision.Decide(_secret, key, Model, Mini, Now.AddTicks(-1)).Allowed);
    }

    [Fact]
    public void a_suspended_key_is_forbidden()
    {
        var key = Given.Key(Issued(), new KeySuspended(_keyId, "budget review", "alice", Now.AddHours(-1)));

        var decision = AccessDecision.Decide(_secret, key, Model, Mini, Now);

        AssertDenied(decision, DenialReasons.Suspended, 403);
        Assert.Equal(_keyId, decision.KeyId);
    }

    [Fact]
    public void a_resumed_key_is_allowed_again()
    {
        var key = Given.Key(
            Issued(),
            new KeySuspended(_keyId, "budget review", "alice", Now.AddHours(-2)),
            new KeyResumed(_keyId, "alice", Now.AddHours(-1)));

        Assert.True(AccessDecision.Decide(_secret, key, Model, Mini, Now).Allowed);
    }

    [Fact]
    public void a_model_outside_the_key_scope_is_forbidden()
    {
        var decision = AccessDecision.Decide(_secret, Given.Key(Issued(models: [Model])), "gpt-4o", Gpt4o, Now);

        AssertDenied(decision, DenialReasons.ModelNotAllowed, 403);
        Assert.Equal(_keyId, decision.KeyId);
    }

    [Fact]
    public void scope_matching_is_case_sensitive()
    {
        var decision = AccessDecision.Decide(_secret, Given.Key(Issued(models: [Model])), "GPT-4O-MINI", Mini with { Id = "GPT-4O-MINI" }, Now);

        AssertDenied(decision, DenialReasons.ModelNotAllowed, 403);
    }

    [Fact]
    public void a_model_that_is_not_registered_is_denied_as_unknown_model()
    {
        var decision = AccessDecision.Decide(_secret, Given.Key(Issued(models: ["*"])), "no-such-model", null, Now);

        AssertDenied(decision, DenialReasons.UnknownModel, 404);
    }

    [Fact]
    public void a_wildcard_scope_allows_any_registered_model()
    {
        var key = Given.Key(Issued(models: ["*"]));

        Assert.True(AccessDecision.Decide(_secret, key, Model, Mini, Now).Allowed);
        Assert.True(AccessDecision.Decide(_secret, key, "gpt-4o", Gpt4o, Now).Allowed);
    }

    [Fact]
    public void a_scope_change_takes_effect_on_the_next_decision()
    {
        var key = Given.Key(Issued(models: [Model]), new KeyScopeChanged(_keyId, ["gpt-4o"], "alice", Now.AddMinutes(-1)));

        AssertDenied(AccessDecision.Decide(_secret, key, Model, Mini, Now), DenialReasons.ModelNotAllowed, 403);
        Assert.True(AccessDecision.Decide(_secret, key, "gpt-4o", Gpt4o, Now).Allowed);
    }

    [Fact]
    public void after_rotation_the_old_key_works_until_the_grace_period_ends()
    {
        var newSecret = KeyFormat.NewKey(_keyId);
        var given = Issued();
        var rotated = VirtualKeyDecider.Rotate(Given.Key(given), TimeSpan.FromHours(24), KeyFormat.Hash(newSecret), "alice", Now);
        var key = Given.Key(given, rotated);
        var deadline = Now.AddHours(24);

        Assert.True(AccessDecision.Decide(_secret, key, Model, Mini, Now).Allowed);
        Assert.True(AccessDecision.Decide(_secret, key, Model, Mini, deadline.AddTicks(-1)).Allowed);
        AssertDenied(AccessDecision.Decide(_secret, key, Model, Mini, deadline), DenialReasons.Rotated, 401);
        AssertDenied(AccessDecision.Decide(_secret, key, Model, Mini, deadline.AddDays(1)), DenialReasons.Rotated, 401);
    }

    [Fact]
    public void after_rotation_the_new_key_is_allowed_immediately_and_after_the_grace_period()
    {
        var newSecret = KeyFormat.NewKey(_keyId);
        var key = Given.Key(Issued(), new KeyRotated(_keyId, KeyFormat.Hash(newSecret), Now.AddHours(1), "alice", Now));

        Assert.True(AccessDecision.Decide(newSecret, key, Model, Mini, Now).Allowed);
        Assert.True(AccessDecision.Decide(newSecret, key, Model, Mini, Now.AddDays(2)).Allowed);
    }

    [Fact]
    public void after_two_rotations_the_first_key_is_unknown()
    {
        var second = KeyFormat.NewKey(_keyId);
        var third = KeyFormat.NewKey(_keyId);
        var key = Given.Key(
            Issued(),
            new KeyRotated(_keyId, KeyFormat.Hash(second), Now.AddDays(1), "alice", Now.AddMinutes(-2)),
            new KeyRotated(_keyId, KeyFormat.Hash(third), Now.AddDays(1), "alice", Now.AddMinutes(-1)));

        AssertDenied(AccessDecision.Decide(_secret, key, Model, Mini, Now), DenialReasons.UnknownKey, 401);
        Assert.True(AccessDecision.Decide(second, key, Model, Mini, Now).Allowed);
        Assert.True(AccessDecision.Decide(third, key, Model, Mini, Now).Allowed);
    }

    [Fact]
    public void revoked_takes_precedence_over_suspended()
    {
        var key = Given.Key(
            Issued(),
            new KeySuspended(_keyId, "pause", "alice", Now.AddHours(-2)),
            new KeyRevoked(_keyId, "leaked", "alice", Now.AddHours(-1)));

        AssertDenied(AccessDecision.Decide(_secret, key, Model, Mini, Now), DenialReasons.Revoked, 401);
    }

    [Fact]
    public void revoking_a_rotated_key_denies_both_the_old_and_the_new_secret()
    {
        var newSecret = KeyFormat.NewKey(_keyId);
        var key = Given.Key(
            Issued(),
            new KeyRotated(_keyId, KeyFormat.Hash(newSecret), Now.AddDays(1), "alice", Now.AddHours(-2)),
            new KeyRevoked(_keyId, "leaked", "alice", Now.AddHours(-1)));

        AssertDenied(AccessDecision.Decide(_secret, key, Model, Mini, Now), DenialReasons.Revoked, 401);
        AssertDenied(AccessDecision.Decide(newSecret, key, Model, Mini, Now), DenialReasons.Revoked, 401);
    }

    [Fact]
    public void a_suspended_key_outside_its_scope_reports_suspension()
    {
        var key = Given.Key(Issued(models: [Model]), new KeySuspended(_keyId, "pause", "alice", Now.AddHours(-1)));

        AssertDenied(AccessDecision.Decide(_secret, key, "gpt-4o", Gpt4o, Now), DenialReasons.Suspended, 403);
    }

    [Theory]
    [InlineData(DenialReasons.UnknownKey, 401)]
    [InlineData(DenialReasons.Revoked, 401)]
    [InlineData(DenialReasons.Expired, 401)]
    [InlineData(DenialReasons.Rotated, 401)]
    [InlineData(DenialReasons.UnknownModel, 404)]
    [InlineData(DenialReasons.UnpricedModel, 403)]
    [InlineData(DenialReasons.BudgetExceeded, 429)]
    [InlineData(DenialReasons.ModelNotAllowed, 403)]
    [InlineData(DenialReasons.Suspended, 403)]
    public void credential_problems_are_401_and_policy_problems_are_403(string reason, int status)
    {
        Assert.Equal(status, new AccessDecision(false, reason, null, null).HttpStatus);
    }

    [Fact]
    public void an_allowed_decision_is_200()
    {
        Assert.Equal(200, new AccessDecision(true, null, "k", "app").HttpStatus);
    }
}
