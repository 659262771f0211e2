using System.Security.Cryptography;
using System.Text;
using Governance.Domain;
using Governance.Domain.Operators;

namespace Governance.Tests.Domain;

public sealed class OperatorTokenTests
{
    private static readonly DateTimeOffset Now = Given.Now;

    [Fact]
    public void the_token_id_is_stable_for_the_same_token()
    {
        var token = OperatorToken.NewToken();

        Assert.Equal(OperatorToken.IdFor(token), OperatorToken.IdFor(token));
        Assert.StartsWith("op_", OperatorToken.IdFor(token), StringComparison.Ordinal);
    }

    [Fact]
    public void different_tokens_have_different_ids()
    {
        Assert.NotEqual(OperatorToken.IdFor(OperatorToken.NewToken()), OperatorToken.IdFor(OperatorToken.NewToken()));
        Assert.NotEqual(OperatorToken.IdFor("token-a"), OperatorToken.IdFor("token-b"));
    }

    [Fact]
    public void the_token_id_does_not_contain_the_token()
    {
        const string token = "gop_abc";

        Assert.DoesNotContain("abc", OperatorToken.IdFor(token), StringComparison.Ordinal);
    }

    [Fact]
    public void new_tokens_are_prefixed_and_differ_each_time()
    {
        var token = OperatorToken.NewToken();

        Assert.Matches("^gop_[0-9A-Za-z]{40}$", token);
        Assert.NotEqual(token, OperatorToken.NewToken());
    }

    [Fact]
    public void the_hash_is_the_sha256_of_the_token_in_lowercase_hex()
    {
        const string token = "gop_example";
        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

        Assert.Equal(expected, OperatorToken.HashOf(token));
        Assert.Matches("^[0-9a-f]{64}$", OperatorToken.HashOf(token));
        // Known vector: SHA-256("abc").
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", OperatorToken.HashOf("abc"));
    }

    [Fact]
    public void issuing_a_token_records_its_hash_and_never_the_token()
    {
        var token = OperatorToken.NewToken();

        var issued = OperatorDecider.Issue(token, "ci-bot", [OperatorRoles.Admin], null, "op_root", Now);

        Assert.Equal(OperatorToken.IdFor(token), issued.TokenId);
        Assert.Equal(OperatorToken.HashOf(token), issued.TokenHash);
        Assert.Equal(("ci-bot", "op_root", Now), (issued.Name, issued.IssuedBy, issued.IssuedAt));
        Assert.Equal([OperatorRoles.Admin], issued.Roles);
        Assert.Empty(issued.Apps);
        Assert.DoesNotContain(token, issued.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(token[OperatorToken.GeneratedPrefix.Length..], issued.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void an_issued_token_folds_into_an_active_operator_holding_only_the_hash()
    {
        var token = OperatorToken.NewToken();

        var state = OperatorToken.Evolve(null, OperatorDecider.Issue(token, "ci-bot", [OperatorRoles.Admin], null, "op_root", Now));

        Assert.NotNull(state);
        Assert.Equal(OperatorToken.IdFor(token), state.Id);
        Assert.Equal(OperatorToken.HashOf(token), state.TokenHash);
        Assert.Equal([OperatorRoles.Admin], state.Roles);
        Assert.False(state.Revoked);
        Assert.True(state.IsActiveAdminAt(Now));
        Assert.DoesNotContain(token, state.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void a_token_expires_after_ninety_days_by_default_and_never_lives_past_a_year()
    {
        var byDefault = OperatorToken.Evolve(null, OperatorDecider.Issue("t", "alice", [OperatorRoles.Approver], null, "op_root", Now))!;
        var chosen = OperatorDecider.Issue("t2", "alice", [OperatorRoles.Approver], null, "op_root", Now, expiresAt: Now.AddDays(365));

        Assert.Equal(Now.AddDays(90), byDefault.ExpiresAt);
        Assert.True(byDefault.IsActiveAt(Now.AddDays(90).AddTicks(-1)));
        Assert.False(byDefault.IsActiveAt(Now.AddDays(90)));
        Assert.Equal(Now.AddDays(365), chosen.ExpiresAt);
        foreach (var expiry in new[] { Now, Now.AddDays(-1), Now.AddDays(365).AddTicks(1) })
        {
            var refused = Assert.Throws<DomainException>(() =>
                OperatorDecider.Issue("t3", "alice", [OperatorRoles.Approver], null, "op_root", Now, expiresAt: expiry));
            Assert.Equal(("expiry_out_of_range", "expiresAt"), (refused.Code, refused.Field));
        }
    }

    [Fact]
    public void only_the_bootstrap_admin_never_expires()
    {
        var bootstrap = OperatorToken.Evolve(null, OperatorDecider.IssueBootstrapAdmin("t", "system:bootstrap", Now))!;

        Assert.Null(bootstrap.ExpiresAt);
        Assert.True(bootstrap.IsActiveAdminAt(Now.AddYears(10)));
    }

    [Fact]
    public void a_token_records_its_person_the_name_by_default()
    {
        Assert.Equal("alice", OperatorDecider.Issue("t", "alice", [OperatorRoles.Approver], null, "op_root", Now).Person);
        Assert.Equal("alice", OperatorDecider.Issue("t", "alice phone", [OperatorRoles.Approver], null, "op_root", Now, person: "alice").Person);
    }

    [Fact]
    public void an_expired_admin_is_not_the_last_admin()
    {
        var expired = OperatorToken.Evolve(null, OperatorDecider.Issue("t", "old", [OperatorRoles.Admin], null, "op_root", Now.AddDays(-91)))!;

        Assert.False(expired.IsActiveAdminAt(Now));
        Assert.IsType<OperatorTokenRevoked>(Assert.Single(OperatorDecider.Revoke(expired, "tidy up", 0, "op_root", Now)));
    }

    [Fact]
    public void an_operator_may_hold_several_roles_and_duplicates_are_dropped()
    {
        var issued = OperatorDecider.Issue("t", "alice",
            [OperatorRoles.Auditor, OperatorRoles.AppOwner, OperatorRoles.Auditor], ["billing", "search", "billing"], "op_root", Now);

        Assert.Equal([OperatorRoles.Auditor, OperatorRoles.AppOwner], issued.Roles);
        Assert.Equal(["billing", "search"], issued.Apps);
    }

    [Fact]
    public void every_known_role_can_be_issued()
    {
        foreach (var role in OperatorRoles.All)
        {
            var apps = role == OperatorRoles.AppOwner ? new[] { "billing" } : null;
            Assert.Equal([role], OperatorDecider.Issue("t-" + role, role, [role], apps, "op_root", Now).Roles);
        }
    }

    [Theory]
    [InlineData(new string[0], null, "roles_required")]
    [InlineData(new[] { "root" }, null, "unknown_role")]
    [InlineData(new[] { "Admin" }, null, "unknown_role")]
    [InlineData(new[] { "app-owner" }, null, "apps_required")]
    [InlineData(new[] { "app-owner" }, new string[0], "apps_required")]
    [InlineData(new[] { "auditor" }, new[] { "billing" }, "apps_without_app_owner")]
    public void an_operator_without_a_sensible_role_set_is_refused(string[] roles, string[]? apps, string code)
    {
        var refused = Assert.Throws<DomainException>(() => OperatorDecider.Issue("t", "bob", roles, apps, "op_root", Now));

        Assert.Equal(code, refused.Code);
        Assert.Equal(DomainErrorKind.Unprocessable, refused.Kind);
    }

    [Fact]
    public void revoking_records_who_why_and_when()
    {
        var auditor = Operator([OperatorRoles.Auditor]);

        var events = OperatorDecider.Revoke(auditor, "left the company", otherActiveAdmins: 1, "op_root", Now);

        Assert.Equal([new OperatorTokenRevoked(auditor.Id, "left the company", "op_root", Now)], events);
        var revoked = events.Aggregate(auditor, (s, e) => OperatorToken.Evolve(s, e)!);
        Assert.True(revoked.Revoked);
        Assert.Equal((Now, "op_root", "left the company"), (revoked.RevokedAt, revoked.RevokedBy, revoked.RevokeReason));
    }

    [Fact]
    public void revoking_twice_is_a_no_op()
    {
        var auditor = Operator([OperatorRoles.Auditor]);
        var revoked = OperatorToken.Evolve(auditor, new OperatorTokenRevoked(auditor.Id, "first", "op_root", Now))!;

        Assert.Empty(OperatorDecider.Revoke(revoked, "again", otherActiveAdmins: 1, "op_root", Now.AddMinutes(1)));
    }

    [Fact]
    public void the_last_active_admin_cannot_be_revoked_even_by_itself()
    {
        var admin = Operator([OperatorRoles.Admin]);

        var refused = Assert.Throws<DomainException>(() => OperatorDecider.Revoke(admin, "leaving", otherActiveAdmins: 0, admin.Id, Now));

        Assert.Equal("last_admin", refused.Code);
        Assert.Equal(DomainErrorKind.Conflict, refused.Kind);
    }

    [Fact]
    public void an_admin_can_be_revoked_while_another_admin_remains()
    {
        var admin = Operator([OperatorRoles.Admin, OperatorRoles.Approver]);

        Assert.Single(OperatorDecider.Revoke(admin, "rotating", otherActiveAdmins: 1, admin.Id, Now));
    }

    [Fact]
    public void the_last_admin_rule_does_not_stop_revoking_other_roles()
    {
        Assert.Single(OperatorDecider.Revoke(Operator([OperatorRoles.Adapter]), "decommissioned", otherActiveAdmins: 0, "op_root", Now));
    }

    private static OperatorToken Operator(string[] roles) =>
        OperatorToken.Evolve(null, OperatorDecider.Issue(OperatorToken.NewToken(), "someone", roles, null, "op_root", Now.AddDays(-1)))!;
}
