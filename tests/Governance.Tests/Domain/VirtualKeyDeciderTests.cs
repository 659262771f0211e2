using Governance.Domain;
using Governance.Domain.Keys;

namespace Governance.Tests.Domain;

public sealed class VirtualKeyDeciderTests
{
    private static readonly DateTimeOffset Now = Given.Now;

    // ---- Issue ----

    [Fact]
    public void issuing_a_key_records_who_issued_it_when_and_only_its_hash()
    {
        var issued = VirtualKeyDecider.Issue(Given.KeyId, "billing", "checkout", ["gpt-4o-mini"], Now.AddDays(30), "hash-v1", "alice", Now);

        Assert.Equal(Given.KeyId, issued.KeyId);
        Assert.Equal("billing", issued.App);
        Assert.Equal("checkout", issued.Name);
        Assert.Equal(["gpt-4o-mini"], issued.Models);
        Assert.Equal(Now.AddDays(30), issued.ExpiresAt);
        Assert.Equal("hash-v1", issued.SecretHash);
        Assert.Equal("alice", issued.IssuedBy);
        Assert.Equal(Now, issued.IssuedAt);
    }

    [Fact]
    public void issuing_a_key_without_expiry_is_allowed()
    {
        var issued = VirtualKeyDecider.Issue(Given.KeyId, "billing", "checkout", ["gpt-4o-mini"], null, "hash-v1", "alice", Now);

        Assert.Null(issued.ExpiresAt);
    }

    [Fact]
    public void issuing_a_key_that_expires_in_the_past_is_refused_as_unprocessable()
    {
        var error = Assert.Throws<DomainException>(() =>
            VirtualKeyDecider.Issue(Given.KeyId, "billing", "checkout", ["gpt-4o-mini"], Now.AddSeconds(-1), "hash-v1", "alice", Now));

        Assert.Equal("expiry_in_past", error.Code);
        Assert.Equal(DomainErrorKind.Unprocessable, error.Kind);
    }

    [Fact]
    public void issuing_a_key_that_expires_right_now_is_refused()
    {
        var error = Assert.Throws<DomainException>(() =>
            VirtualKeyDecider.Issue(Given.KeyId, "billing", "checkout", ["gpt-4o-mini"], Now, "hash-v1", "alice", Now));

        Assert.Equal("expiry_in_past", error.Code);
    }

    [Fact]
    public void issuing_a_key_with_repeated_models_keeps_each_model_once_in_order()
    {
        var issued = VirtualKeyDecider.Issue(
            Given.KeyId, "billing", "checkout", ["gpt-4o", "gpt-4o-mini", "gpt-4o", "gpt-4o-mini"], null, "hash-v1", "alice", Now);

        Assert.Equal(["gpt-4o", "gpt-4o-mini"], issued.Models);
    }

    [Fact]
    public void an_issued_key_starts_active_with_its_scope_and_no_previous_secret()
    {
        var key = Given.Key(VirtualKeyDecider.Issue(Given.KeyId, "billing", "checkout", ["gpt-4o-mini"], Now.AddDays(1), "hash-v1", "alice", Now));

        Assert.Equal(KeyStatus.Active, key.Status);
        Assert.Equal(["gpt-4o-mini"], key.Models);
        Assert.Equal("hash-v1", key.SecretHash);
        Assert.Null(key.PreviousSecretHash);
        Assert.Null(key.PreviousValidUntil);
        Assert.Equal("alice", key.IssuedBy);
    }

    [Fact]
    public void events_before_the_key_was_issued_do_not_create_a_key()
    {
        Assert.Null(Given.Fold(new KeyRevoked(Given.KeyId, "x", "alice", Now)));
    }

    // ---- Revoke ----

    [Fact]
    public void revoking_an_active_key_records_the_actor_reason_and_time()
    {
        var key = Given.Key(Given.Issued());

        var events = VirtualKeyDecider.Revoke(key, "leaked in a log", "alice", Now);

        Assert.Equal([new KeyRevoked(Given.KeyId, "leaked in a log", "alice", Now)], events);
        var revoked = Given.Key(Given.Issued(), events[0]);
        Assert.Equal(KeyStatus.Revoked, revoked.Status);
        Assert.Equal("leaked in a log", revoked.StatusReason);
    }

    [Fact]
    public void revoking_a_suspended_key_is_allowed()
    {
        var key = Given.Key(Given.Issued(), new KeySuspended(Given.KeyId, "pause", "bob", Now.AddHours(-1)));

        var events = VirtualKeyDecider.Revoke(key, "done", "alice", Now);

        Assert.Equal([new KeyRevoked(Given.KeyId, "done", "alice", Now)], events);
    }

    [Fact]
    public void revoking_an_already_revoked_key_changes_nothing()
    {
        var key = Given.Key(Given.Issued(), new KeyRevoked(Given.KeyId, "leaked", "alice", Now.AddHours(-1)));

        Assert.Empty(VirtualKeyDecider.Revoke(key, "again", "bob", Now));
    }

    // ---- Suspend / Resume ----

    [Fact]
    public void suspending_an_active_key_records_the_actor_reason_and_time()
    {
        var key = Given.Key(Given.Issued());

        var events = VirtualKeyDecider.Suspend(key, "budget review", "alice", Now);

        Assert.Equal([new KeySuspended(Given.KeyId, "budget review", "alice", Now)], events);
        var suspended = Given.Key(Given.Issued(), events[0]);
        Assert.Equal(KeyStatus.Suspended, suspended.Status);
        Assert.Equal("budget review", suspended.StatusReason);
    }

    [Fact]
    public void suspending_a_suspended_key_changes_nothing()
    {
        var key = Given.Key(Given.Issued(), new KeySuspended(Given.KeyId, "pause", "alice", Now.AddHours(-1)));

        Assert.Empty(VirtualKeyDecider.Suspend(key, "pause again", "bob", Now));
    }

    [Fact]
    public void suspending_a_revoked_key_is_refused_as_a_conflict()
    {
        var key = Given.Key(Given.Issued(), new KeyRevoked(Given.KeyId, "leaked", "alice", Now.AddHours(-1)));

        var error = Assert.Throws<DomainException>(() => VirtualKeyDecider.Suspend(key, "pause", "bob", Now));

        Assert.Equal("key_revoked", error.Code);
        Assert.Equal(DomainErrorKind.Conflict, error.Kind);
    }

    [Fact]
    public void resuming_a_suspended_key_makes_it_active_again()
    {
        var given = new object[] { Given.Issued(), new KeySuspended(Given.KeyId, "pause", "alice", Now.AddHours(-1)) };

        var events = VirtualKeyDecider.Resume(Given.Key(given), "bob", Now);

        Assert.Equal([new KeyResumed(Given.KeyId, "bob", Now)], events);
        var resumed = Given.Key([.. given, .. events]);
        Assert.Equal(KeyStatus.Active, resumed.Status);
        Assert.Null(resumed.StatusReason);
    }

    [Fact]
    public void resuming_an_active_key_changes_nothing()
    {
        Assert.Empty(VirtualKeyDecider.Resume(Given.Key(Given.Issued()), "bob", Now));
    }

    [Fact]
    public void resuming_a_revoked_key_is_refused_as_a_conflict()
    {
        var key = Given.Key(
            Given.Issued(),
            new KeySuspended(Given.KeyId, "pause", "alice", Now.AddHours(-2)),
            new KeyRevoked(Given.KeyId, "leaked", "alice", Now.AddHours(-1)));

        var error = Assert.Throws<DomainException>(() => VirtualKeyDecider.Resume(key, "bob", Now));

        Assert.Equal("key_revoked", error.Code);
        Assert.Equal(DomainErrorKind.Conflict, error.Kind);
    }

    [Fact]
    public void an_app_owner_cannot_resume_a_suspension_by_an_admin_or_the_anomaly_detector()
    {
        foreach (var suspender in new[] { "op_admin", "system:anomaly-detector" })
        {
            var key = Given.Key(Given.Issued(), new KeySuspended(Given.KeyId, "runaway spend", suspender, Now.AddHours(-1)));

            var error = Assert.Throws<DomainException>(() => VirtualKeyDecider.Resume(key, "op_owner", Now, byAppOwner: true));

            Assert.Equal("suspended_by_admin", error.Code);
            Assert.Equal(DomainErrorKind.Forbidden, error.Kind);
            Assert.Contains(suspender, error.Message);
            Assert.Equal([new KeyResumed(Given.KeyId, "op_admin", Now)], VirtualKeyDecider.Resume(key, "op_admin", Now));
        }
    }

    [Fact]
    public void an_app_owner_resumes_a_suspension_made_through_app_owner_rights()
    {
        var suspended = VirtualKeyDecider.Suspend(Given.Key(Given.Issued()), "pause", "op_owner", Now.AddHours(-1), byAppOwner: true);
        var key = Given.Key([Given.Issued(), .. suspended]);

        Assert.True(Assert.IsType<KeySuspended>(Assert.Single(suspended)).ByAppOwner);
        Assert.Equal([new KeyResumed(Given.KeyId, "op_co_owner", Now)], VirtualKeyDecider.Resume(key, "op_co_owner", Now, byAppOwner: true));
    }

    // ---- SetPolicy ----

    [Fact]
    public void an_app_owner_may_turn_suspend_on_anomaly_on_but_only_an_admin_turns_it_off()
    {
        var on = VirtualKeyDecider.SetPolicy(Given.Key(Given.Issued()), true, "op_owner", Now.AddHours(-1), byAppOwner: true);
        var key = Given.Key([Given.Issued(), .. on]);

        var error = Assert.Throws<DomainException>(() => VirtualKeyDecider.SetPolicy(key, false, "op_owner", Now, byAppOwner: true));

        Assert.Equal([new KeyPolicyChanged(Given.KeyId, true, "op_owner", Now.AddHours(-1))], on);
        Assert.Equal(("admin_only", DomainErrorKind.Forbidden), (error.Code, error.Kind));
        Assert.Equal([new KeyPolicyChanged(Given.KeyId, false, "op_admin", Now)], VirtualKeyDecider.SetPolicy(key, false, "op_admin", Now));
        Assert.Empty(VirtualKeyDecider.SetPolicy(key, true, "op_owner", Now, byAppOwner: true));
    }

    // ---- ChangeScope ----

    [Fact]
    public void changing_the_scope_records_the_new_models_once_each()
    {
        var key = Given.Key(Given.Issued(models: ["gpt-4o-mini"]));

        var events = VirtualKeyDecider.ChangeScope(key, ["gpt-4o", "gpt-4o-mini", "gpt-4o"], "alice", Now);

        var changed = Assert.IsType<KeyScopeChanged>(Assert.Single(events));
        Assert.Equal(Given.KeyId, changed.KeyId);
        Assert.Equal(["gpt-4o", "gpt-4o-mini"], changed.Models);
        Assert.Equal("alice", changed.ChangedBy);
        Assert.Equal(Now, changed.ChangedAt);
        Assert.Equal(["gpt-4o", "gpt-4o-mini"], Given.Key(Given.Issued(models: ["gpt-4o-mini"]), changed).Models);
    }

    [Fact]
    public void changing_the_scope_to_the_same_models_in_another_order_changes_nothing()
    {
        var key = Given.Key(Given.Issued(models: ["gpt-4o", "gpt-4o-mini"]));

        Assert.Empty(VirtualKeyDecider.ChangeScope(key, ["gpt-4o-mini", "gpt-4o", "gpt-4o-mini"], "alice", Now));
    }

    [Fact]
    public void narrowing_the_scope_is_recorded()
    {
        var key = Given.Key(Given.Issued(models: ["gpt-4o", "gpt-4o-mini"]));

        var changed = Assert.IsType<KeyScopeChanged>(Assert.Single(VirtualKeyDecider.ChangeScope(key, ["gpt-4o"], "alice", Now)));

        Assert.Equal(["gpt-4o"], changed.Models);
    }

    [Fact]
    public void changing_the_scope_of_a_revoked_key_is_refused()
    {
        var key = Given.Key(Given.Issued(), new KeyRevoked(Given.KeyId, "leaked", "alice", Now.AddHours(-1)));

        var error = Assert.Throws<DomainException>(() => VirtualKeyDecider.ChangeScope(key, ["gpt-4o"], "bob", Now));

        Assert.Equal("key_revoked", error.Code);
        Assert.Equal(DomainErrorKind.Conflict, error.Kind);
    }

    // ---- Rotate ----

    [Fact]
    public void rotating_a_key_keeps_the_old_secret_valid_for_the_grace_period()
    {
        var key = Given.Key(Given.Issued());

        var rotated = VirtualKeyDecider.Rotate(key, TimeSpan.FromHours(24), "hash-v2", "alice", Now);

        Assert.Equal(new KeyRotated(Given.KeyId, "hash-v2", Now.AddHours(24), "alice", Now), rotated);
    }

    [Fact]
    public void after_rotation_the_key_holds_the_new_hash_and_the_previous_hash_with_its_deadline()
    {
        var key = Given.Key(Given.Issued(secretHash: "hash-v1"), new KeyRotated(Given.KeyId, "hash-v2", Now.AddDays(1), "alice", Now));

        Assert.Equal("hash-v2", key.SecretHash);
        Assert.Equal("hash-v1", key.PreviousSecretHash);
        Assert.Equal(Now.AddDays(1), key.PreviousValidUntil);
        Assert.Equal(Now, key.RotatedAt);
        Assert.Equal(KeyStatus.Active, key.Status);
    }

    [Fact]
    public void rotating_twice_keeps_only_the_secret_it_replaced_as_previous()
    {
        var key = Given.Key(
            Given.Issued(secretHash: "hash-v1"),
            new KeyRotated(Given.KeyId, "hash-v2", Now.AddDays(1), "alice", Now),
            new KeyRotated(Given.KeyId, "hash-v3", Now.AddDays(2), "alice", Now.AddHours(1)));

        Assert.Equal("hash-v3", key.SecretHash);
        Assert.Equal("hash-v2", key.PreviousSecretHash);
        Assert.Equal(Now.AddDays(2), key.PreviousValidUntil);
    }

    [Fact]
    public void rotating_with_no_grace_ends_the_old_secret_immediately()
    {
        var rotated = VirtualKeyDecider.Rotate(Given.Key(Given.Issued()), TimeSpan.Zero, "hash-v2", "alice", Now);

        Assert.Equal(Now, rotated.PreviousValidUntil);
    }

    [Fact]
    public void rotating_with_exactly_seven_days_of_grace_is_allowed()
    {
        var rotated = VirtualKeyDecider.Rotate(Given.Key(Given.Issued()), TimeSpan.FromDays(7), "hash-v2", "alice", Now);

        Assert.Equal(Now.AddDays(7), rotated.PreviousValidUntil);
    }

    [Fact]
    public void rotating_a_suspended_key_is_allowed()
    {
        var key = Given.Key(Given.Issued(), new KeySuspended(Given.KeyId, "pause", "alice", Now.AddHours(-1)));

        var rotated = VirtualKeyDecider.Rotate(key, TimeSpan.FromHours(1), "hash-v2", "alice", Now);

        Assert.Equal("hash-v2", rotated.NewSecretHash);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(7 * 24 * 60 + 1)]
    [InlineData(30 * 24 * 60)]
    public void rotating_with_a_grace_outside_zero_to_seven_days_is_refused(int graceMinutes)
    {
        var key = Given.Key(Given.Issued());

        var error = Assert.Throws<DomainException>(() =>
            VirtualKeyDecider.Rotate(key, TimeSpan.FromMinutes(graceMinutes), "hash-v2", "alice", Now));

        Assert.Equal("grace_out_of_range", error.Code);
        Assert.Equal(DomainErrorKind.Unprocessable, error.Kind);
    }

    [Fact]
    public void rotating_an_expired_key_is_refused()
    {
        var key = Given.Key(Given.Issued(expiresAt: Now.AddMinutes(-1)));

        var error = Assert.Throws<DomainException>(() => VirtualKeyDecider.Rotate(key, TimeSpan.FromHours(1), "hash-v2", "alice", Now));

        Assert.Equal("key_expired", error.Code);
        Assert.Equal(DomainErrorKind.Conflict, error.Kind);
    }

    [Fact]
    public void rotating_a_key_at_the_moment_it_expires_is_refused()
    {
        var key = Given.Key(Given.Issued(expiresAt: Now));

        var error = Assert.Throws<DomainException>(() => VirtualKeyDecider.Rotate(key, TimeSpan.FromHours(1), "hash-v2", "alice", Now));

        Assert.Equal("key_expired", error.Code);
    }

    [Fact]
    public void rotating_a_revoked_key_is_refused()
    {
        var key = Given.Key(Given.Issued(), new KeyRevoked(Given.KeyId, "leaked", "alice", Now.AddHours(-1)));

        var error = Assert.Throws<DomainException>(() => VirtualKeyDecider.Rotate(key, TimeSpan.FromHours(1), "hash-v2", "alice", Now));

        Assert.Equal("key_revoked", error.Code);
        Assert.Equal(DomainErrorKind.Conflict, error.Kind);
    }
}
