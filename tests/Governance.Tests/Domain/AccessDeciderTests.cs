using Governance.Domain;
using Governance.Domain.Approvals;
using Governance.Domain.Operators;

namespace Governance.Tests.Domain;

public sealed class AccessDeciderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 2, 14, 3, 0, TimeSpan.Zero);
    private static readonly ModelPolicy TwoOfM = new(true, 2, 7, 100m, 3);

    private static AccessRequest Pending(ModelPolicy? policy = null, decimal? cap = null, int days = 5) =>
        AccessRequest.Evolve(null, AccessDecider.Request("acr_1", "key1", "billing", "o3", "forecast", days, cap, policy ?? TwoOfM, Op("op_requester"), Now))!;

    /// <summary>An operator token; by default its own person (as tokens recorded before people were).</summary>
    private static OperatorIdentity Op(string id, string? person = null) => new(id, person ?? id);

    private static AccessRequest Fold(AccessRequest state, IEnumerable<object> events) => events.Aggregate(state, (s, e) => AccessRequest.Evolve(s, e)!);

    [Fact]
    public void an_unrestricted_model_needs_no_request()
    {
        var error = Assert.Throws<DomainException>(() =>
            AccessDecider.Request("acr_1", "k", "a", "m", "j", 1, null, new ModelPolicy(false, 1, 7, null, null), Op("op"), Now));
        Assert.Equal("not_restricted", error.Code);
        Assert.Throws<DomainException>(() => AccessDecider.Request("acr_1", "k", "a", "m", "j", 1, null, null, Op("op"), Now));
    }

    [Fact]
    public void a_duration_above_the_policy_maximum_is_refused()
    {
        var error = Assert.Throws<DomainException>(() => Pending(days: 8));
        Assert.Equal("duration_above_policy", error.Code);
    }

    [Theory]
    [InlineData(null, 100)]
    [InlineData(50, 50)]
    [InlineData(500, 100)]
    public void the_tighter_spend_cap_applies(int? asked, int expected) =>
        Assert.Equal(expected, Pending(cap: asked).SpendCap);

    [Fact]
    public void a_quorum_of_two_distinct_approvers_grants_access_for_the_requested_days()
    {
        var request = Fold(Pending(), AccessDecider.Approve(Pending(), Op("op_alice"), "ok", Now));
        Assert.Equal(AccessStatus.Pending, request.Status);

        var events = AccessDecider.Approve(request, Op("op_bob"), "ok", Now.AddHours(1));

        var granted = Assert.IsType<AccessGranted>(events[1]);
        Assert.Equal(Now.AddHours(1), granted.Start);
        Assert.Equal(Now.AddHours(1).AddDays(5), granted.Expiry);
        Assert.Equal(100m, granted.SpendCap);
    }

    [Fact]
    public void the_same_approver_counts_once()
    {
        var request = Fold(Pending(), AccessDecider.Approve(Pending(), Op("op_alice"), "ok", Now));
        Assert.Empty(AccessDecider.Approve(request, Op("op_alice"), "again", Now));
    }

    [Fact]
    public void the_requester_can_neither_approve_nor_reject_their_own_request()
    {
        Assert.Equal(DomainErrorKind.Forbidden, Assert.Throws<DomainException>(() => AccessDecider.Approve(Pending(), Op("op_requester"), null, Now)).Kind);
        Assert.Equal(DomainErrorKind.Forbidden, Assert.Throws<DomainException>(() => AccessDecider.Reject(Pending(), Op("op_requester"), "no", Now)).Kind);
    }

    [Fact]
    public void two_tokens_of_one_person_count_once_towards_the_quorum()
    {
        var afterFirst = Fold(Pending(), AccessDecider.Approve(Pending(), Op("op_alice_laptop", "alice"), "ok", Now));

        // Alice's second token (any letter case of her person) changes nothing; only another person completes the quorum.
        Assert.Empty(AccessDecider.Approve(afterFirst, Op("op_alice_phone", "Alice"), "me again", Now));
        Assert.Equal(AccessStatus.Pending, afterFirst.Status);
        var events = AccessDecider.Approve(afterFirst, Op("op_bob", "bob"), "ok", Now);
        Assert.IsType<AccessGranted>(events[1]);
        Assert.Equal("bob", Assert.IsType<AccessApproved>(events[0]).ApprovedByPerson);
    }

    [Fact]
    public void the_requester_cannot_approve_or_reject_through_another_of_their_tokens()
    {
        var request = AccessRequest.Evolve(null,
            AccessDecider.Request("acr_1", "key1", "billing", "o3", "forecast", 5, null, TwoOfM, Op("op_carol_owner", "carol"), Now))!;

        var approve = Assert.Throws<DomainException>(() => AccessDecider.Approve(request, Op("op_carol_approver", "carol"), null, Now));
        var reject = Assert.Throws<DomainException>(() => AccessDecider.Reject(request, Op("op_carol_approver", "CAROL"), "no", Now));

        Assert.Equal(("self_approval", DomainErrorKind.Forbidden), (approve.Code, approve.Kind));
        Assert.Equal(("self_decision", DomainErrorKind.Forbidden), (reject.Code, reject.Kind));
        Assert.Equal("carol", request.RequesterPerson);
    }

    [Fact]
    public void decided_requests_cannot_be_decided_again()
    {
        var rejected = Fold(Pending(), AccessDecider.Reject(Pending(), Op("op_alice"), "no", Now));
        var withdrawn = Fold(Pending(), AccessDecider.Withdraw(Pending(), "op_requester", Now));
        var granted = Fold(Pending(new ModelPolicy(true, 1, 7, null, null)), AccessDecider.Approve(Pending(new ModelPolicy(true, 1, 7, null, null)), Op("op_alice"), null, Now));

        foreach (var decided in new[] { rejected, withdrawn, granted })
        {
            Assert.Equal("not_pending", Assert.Throws<DomainException>(() => AccessDecider.Approve(decided, Op("op_bob"), null, Now)).Code);
            Assert.Throws<DomainException>(() => AccessDecider.Reject(decided, Op("op_bob"), "no", Now));
            Assert.Throws<DomainException>(() => AccessDecider.Withdraw(decided, "op_requester", Now));
        }
    }

    [Fact]
    public void a_grant_is_active_from_its_start_until_just_before_its_expiry_and_expires_only_when_due()
    {
        var policy = new ModelPolicy(true, 1, 7, null, null);
        var grant = Fold(Pending(policy), AccessDecider.Approve(Pending(policy), Op("op_alice"), null, Now));
        var expiry = grant.GrantExpiry!.Value;

        Assert.True(grant.IsActiveAt(Now));
        Assert.True(grant.IsActiveAt(expiry.AddTicks(-1)));
        Assert.False(grant.IsActiveAt(expiry));
        Assert.Empty(AccessDecider.Expire(grant, "system", expiry.AddTicks(-1)));
        Assert.IsType<GrantExpired>(Assert.Single(AccessDecider.Expire(grant, "system", expiry)));
    }

    [Fact]
    public void a_revoked_grant_gives_nothing_and_revoking_twice_is_harmless()
    {
        var policy = new ModelPolicy(true, 1, 7, null, null);
        var grant = Fold(Pending(policy), AccessDecider.Approve(Pending(policy), Op("op_alice"), null, Now));
        var revoked = Fold(grant, AccessDecider.RevokeGrant(grant, "cancelled", "op_admin", Now.AddHours(1)));

        Assert.False(revoked.IsActiveAt(Now.AddHours(2)));
        Assert.Empty(AccessDecider.RevokeGrant(revoked, "again", "op_admin", Now.AddHours(2)));
        Assert.Equal("not_granted", Assert.Throws<DomainException>(() => AccessDecider.RevokeGrant(Pending(), "r", "op", Now)).Code);
    }

    [Fact]
    public void an_undecided_request_lapses_after_the_policy_window()
    {
        Assert.Empty(AccessDecider.Lapse(Pending(), "system", Now.AddDays(3).AddTicks(-1)));
        Assert.IsType<AccessRequestLapsed>(Assert.Single(AccessDecider.Lapse(Pending(), "system", Now.AddDays(3))));
    }

    [Fact]
    public void an_app_grant_covers_every_key_of_the_app_and_a_key_grant_only_its_key()
    {
        var policy = new ModelPolicy(true, 1, 7, null, null);
        var forApp = AccessRequest.Evolve(null, AccessDecider.Request("acr_app", null, "billing", "o3", "j", 1, null, policy, Op("op"), Now))!;
        var forKey = Pending(policy);

        Assert.True(forApp.Covers("any-key", "billing"));
        Assert.False(forApp.Covers("any-key", "other"));
        Assert.True(forKey.Covers("key1", "billing"));
        Assert.False(forKey.Covers("key2", "billing"));
    }
}
