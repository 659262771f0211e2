using Governance.Domain.Access;
using Governance.Domain.Keys;

namespace Governance.Tests.Domain;

/// <summary>The key alone (what the proxy decides before reading a body), and what its refusals are counted under.</summary>
public sealed class HeaderRefusalsTests
{
    private static readonly DateTimeOffset Now = Given.Now;
    private readonly string _keyId = KeyFormat.NewKeyId();
    private readonly string _secret;

    public HeaderRefusalsTests() => _secret = KeyFormat.NewKey(_keyId);

    private VirtualKey Key(params object[] after) => Given.Key([Given.Issued(["gpt-4o-mini"], null, KeyFormat.Hash(_secret), _keyId), .. after]);

    [Fact]
    public void a_usable_key_is_authenticated_whatever_model_the_body_will_ask_for()
    {
        Assert.Equal(new AccessDecision(true, null, _keyId, Given.App), AccessDecision.Authenticate(_secret, Key(), Now));
    }

    [Fact]
    public void authentication_refuses_what_the_full_decision_refuses_for_the_key_itself()
    {
        var revoked = Key(new KeyRevoked(_keyId, "leaked", "alice", Now.AddHours(-1)));
        var suspended = Key(new KeySuspended(_keyId, "review", "alice", Now.AddHours(-1)));

        Assert.Equal(AccessDecision.Decide(_secret, revoked, "gpt-4o-mini", null, Now), AccessDecision.Authenticate(_secret, revoked, Now));
        Assert.Equal(DenialReasons.Revoked, AccessDecision.Authenticate(_secret, revoked, Now).Reason);
        Assert.Equal(DenialReasons.Suspended, AccessDecision.Authenticate(_secret, suspended, Now).Reason);
        Assert.Equal(DenialReasons.UnknownKey, AccessDecision.Authenticate(KeyFormat.NewKey(_keyId), Key(), Now).Reason);
        Assert.Equal(DenialReasons.UnknownKey, AccessDecision.Authenticate(_secret, null, Now).Reason);
    }

    [Fact]
    public void refusals_are_counted_by_reason_and_by_key_only_when_the_keys_own_secret_was_presented()
    {
        var revoked = AccessDecision.Authenticate(_secret, Key(new KeyRevoked(_keyId, "leaked", "alice", Now.AddHours(-1))), Now);
        var unknown = new AccessDecision(false, DenialReasons.UnknownKey, null, null);

        Assert.Equal(new RefusalCount(HeaderRefusals.MissingKey, null, 1), HeaderRefusals.Classify(null, unknown));
        Assert.Equal(new RefusalCount(HeaderRefusals.MalformedKey, null, 1), HeaderRefusals.Classify("sk-not-ours", unknown));
        Assert.Equal(new RefusalCount(HeaderRefusals.MalformedKey, null, 1), HeaderRefusals.Classify(_secret[..^1] + (_secret[^1] == 'a' ? 'b' : 'a'), unknown));
        Assert.Equal(new RefusalCount(DenialReasons.UnknownKey, null, 1), HeaderRefusals.Classify(KeyFormat.NewKey(KeyFormat.NewKeyId()), unknown));
        Assert.Equal(new RefusalCount(DenialReasons.Revoked, _keyId, 1), HeaderRefusals.Classify(_secret, revoked));
        // The adapter could not vouch for its copy: the embedded id is unverified, so it is not counted.
        Assert.Equal(new RefusalCount(DenialReasons.GovernanceUnavailable, null, 1),
            HeaderRefusals.Classify(_secret, new AccessDecision(false, DenialReasons.GovernanceUnavailable, _keyId, null)));
    }

    [Fact]
    public void a_refusal_of_the_key_itself_is_counted_and_one_about_the_request_is_not()
    {
        var revoked = Key(new KeyRevoked(_keyId, "leaked", "alice", Now.AddHours(-1)));
        var suspended = Key(new KeySuspended(_keyId, "review", "alice", Now.AddHours(-1)));
        // What /api/authorize decides with the model in hand: the key's own refusals come first, whatever the model.
        var keyRefusals = new[]
        {
            AccessDecision.Decide("sk-not-ours", null, "gpt-4o-mini", null, Now),
            AccessDecision.Decide(KeyFormat.NewKey(_keyId), Key(), "gpt-4o-mini", null, Now),
            AccessDecision.Decide(_secret, revoked, "gpt-4o-mini", null, Now),
            AccessDecision.Decide(_secret, suspended, "gpt-4o-mini", null, Now),
            new AccessDecision(false, DenialReasons.Expired, _keyId, Given.App),
            new AccessDecision(false, DenialReasons.Rotated, _keyId, Given.App),
        };
        var requestRefusals = new[]
        {
            AccessDecision.Decide(_secret, Key(), "gpt-4o-mini", null, Now),
            new AccessDecision(false, DenialReasons.ModelNotAllowed, _keyId, Given.App),
            new AccessDecision(false, DenialReasons.UnpricedModel, _keyId, Given.App),
            new AccessDecision(false, DenialReasons.ApprovalRequired, _keyId, Given.App),
            new AccessDecision(false, DenialReasons.BudgetExceeded, _keyId, Given.App),
            new AccessDecision(false, DenialReasons.RateLimited, _keyId, Given.App),
            new AccessDecision(true, null, _keyId, Given.App),
        };

        Assert.Equal(DenialReasons.UnknownModel, requestRefusals[0].Reason);
        Assert.All(keyRefusals, d => Assert.True(HeaderRefusals.DecidedByKeyAlone(d), d.Reason));
        Assert.All(requestRefusals, d => Assert.False(HeaderRefusals.DecidedByKeyAlone(d), d.Reason));
    }

    [Fact]
    public void each_process_and_minute_of_an_adapter_is_its_own_stream()
    {
        var minute = new DateTimeOffset(2026, 11, 2, 14, 3, 0, TimeSpan.Zero);

        Assert.Equal("refusals:edge-1:2026-11-02T14:03Z:0a1b2c3d", RefusalsCounted.StreamId("edge-1", minute, "0a1b2c3d"));
        Assert.Equal("refusals:edge-1:2026-11-02T14:03Z:0a1b2c3d", RefusalsCounted.StreamId("edge-1", minute.ToOffset(TimeSpan.FromHours(2)), "0a1b2c3d"));
    }
}
