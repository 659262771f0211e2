using Governance.Domain;
using Governance.Domain.Keys;

namespace Governance.Tests.Domain;

public sealed class KeyRateLimitsTests
{
    private static readonly DateTimeOffset Now = Given.Now;

    private static VirtualKey Key(params object[] more) =>
        more.Aggregate(VirtualKey.Evolve(null, VirtualKeyDecider.Issue(Given.KeyId, "billing", "checkout", ["m"], null, "h", "alice", Now))!,
            (k, e) => VirtualKey.Evolve(k, e)!);

    [Fact]
    public void a_key_issued_without_limits_is_unlimited_and_writes_no_limit_event()
    {
        var issued = VirtualKeyDecider.Issue(Given.KeyId, "billing", "checkout", ["m"], null, "h", "alice", Now);

        Assert.Empty(VirtualKeyDecider.InitialLimits(issued, null));
        Assert.Empty(VirtualKeyDecider.InitialLimits(issued, KeyRateLimits.None));
        Assert.True(Key().Limits.IsUnlimited);
    }

    [Fact]
    public void limits_named_at_issue_follow_the_issue_with_the_same_actor_and_time()
    {
        var issued = VirtualKeyDecider.Issue(Given.KeyId, "billing", "checkout", ["m"], null, "h", "alice", Now);

        var set = Assert.IsType<KeyRateLimitsSet>(Assert.Single(VirtualKeyDecider.InitialLimits(issued, new(60, null, 5))));
        Assert.Equal(new KeyRateLimitsSet(Given.KeyId, 60, null, 5, "alice", Now), set);
        Assert.Equal(new KeyRateLimits(60, null, 5), Key(set).Limits);
    }

    [Fact]
    public void changing_limits_records_who_and_when_and_setting_the_same_limits_writes_nothing()
    {
        var key = Key(new KeyRateLimitsSet(Given.KeyId, 60, 1000, null, "alice", Now));

        Assert.Empty(VirtualKeyDecider.SetRateLimits(key, new(60, 1000, null), "bob", Now.AddMinutes(1)));
        var changed = Assert.IsType<KeyRateLimitsSet>(Assert.Single(VirtualKeyDecider.SetRateLimits(key, new(null, 1000, 3), "bob", Now.AddMinutes(1))));
        Assert.Equal("bob", changed.SetBy);
        Assert.Equal(new KeyRateLimits(null, 1000, 3), VirtualKey.Evolve(key, changed)!.Limits);
    }

    [Fact]
    public void clearing_every_limit_makes_the_key_unlimited_again()
    {
        var key = Key(new KeyRateLimitsSet(Given.KeyId, 60, null, null, "alice", Now));
        var cleared = Assert.Single(VirtualKeyDecider.SetRateLimits(key, KeyRateLimits.None, "bob", Now));

        Assert.True(VirtualKey.Evolve(key, cleared)!.Limits.IsUnlimited);
    }

    [Theory]
    [InlineData(-1L, null, null, "requestsPerMinute")]
    [InlineData(null, 10_000_000_001L, null, "tokensPerMinute")]
    [InlineData(null, null, 100_001, "maxParallel")]
    public void a_limit_out_of_range_is_refused_naming_it(long? rpm, long? tpm, int? parallel, string field)
    {
        var error = Assert.Throws<DomainException>(() => VirtualKeyDecider.SetRateLimits(Key(), new(rpm, tpm, parallel), "bob", Now));

        Assert.Equal(DomainErrorKind.Unprocessable, error.Kind);
        Assert.StartsWith(field, error.Message);
    }

    [Fact]
    public void a_revoked_key_keeps_its_limits_frozen()
    {
        var key = Key(new KeyRevoked(Given.KeyId, "leaked", "alice", Now));

        Assert.Throws<DomainException>(() => VirtualKeyDecider.SetRateLimits(key, new(1, null, null), "bob", Now));
    }
}
