using System.Globalization;
using Governance.Domain.Keys;

namespace Governance.Tests.Domain;

public sealed class AnomalyRuleTests
{
    private static readonly DateTimeOffset Now = Given.Now;
    private const string Detector = "anomaly-detector";

    // 10× the trailing hourly average and at least 10 USD, over 24 hours.
    private static readonly AnomalyRule Rule = AnomalyRule.Default;

    // 120 USD over the trailing 24 hours: an average of 5 USD an hour, so the spike line is at 50 USD.
    private const decimal Trailing = 120m;

    private static KeyPolicyChanged SuspendOnAnomaly(bool on = true) => new(Given.KeyId, on, Given.Admin, Now.AddDays(-1));

    [Fact]
    public void the_default_rule_flags_ten_times_the_hourly_average_over_a_day_above_ten_dollars()
    {
        Assert.Equal(new AnomalyRule(10m, 10m, 24), AnomalyRule.Default);
    }

    [Fact]
    public void spend_below_the_floor_is_never_an_anomaly_however_quiet_the_key_was()
    {
        var key = Given.Key(Given.Issued());

        Assert.Empty(Rule.Decide(key, 9.99m, 0m, Detector, Now));
        Assert.Empty(Rule.Decide(key, 9.99m, 0.24m, Detector, Now));
    }

    [Theory]
    [InlineData("10.01")]
    [InlineData("49.99")]
    [InlineData("50")]
    public void spend_above_the_floor_but_within_the_multiple_of_the_average_is_not_an_anomaly(string lastHour)
    {
        var spend = decimal.Parse(lastHour, CultureInfo.InvariantCulture);

        Assert.Empty(Rule.Decide(Given.Key(Given.Issued()), spend, Trailing, Detector, Now));
    }

    [Fact]
    public void spend_above_both_the_floor_and_the_multiple_of_the_average_is_reported()
    {
        var key = Given.Key(Given.Issued());

        var events = Rule.Decide(key, 50.01m, Trailing, Detector, Now);

        Assert.Equal([new SpendAnomalyDetected(Given.KeyId, 50.01m, 5m, 10m, 10m, Detector, Now)], events);
    }

    [Fact]
    public void a_spike_suspends_the_key_when_its_policy_says_so()
    {
        var key = Given.Key(Given.Issued(), SuspendOnAnomaly());

        var events = Rule.Decide(key, 60m, Trailing, Detector, Now);

        Assert.Equal(2, events.Length);
        Assert.Equal(new SpendAnomalyDetected(Given.KeyId, 60m, 5m, 10m, 10m, Detector, Now), events[0]);
        var suspended = Assert.IsType<KeySuspended>(events[1]);
        Assert.Equal(Given.KeyId, suspended.KeyId);
        Assert.Equal(Detector, suspended.SuspendedBy);
        Assert.Equal(Now, suspended.SuspendedAt);
        Assert.StartsWith("spend anomaly: 60 USD in the last hour", suspended.Reason, StringComparison.Ordinal);
        Assert.Equal(KeyStatus.Suspended, Given.Key([Given.Issued(), SuspendOnAnomaly(), .. events]).Status);
    }

    [Fact]
    public void a_spike_only_reports_when_the_key_policy_does_not_suspend()
    {
        var key = Given.Key(Given.Issued(), SuspendOnAnomaly(), SuspendOnAnomaly(on: false));

        Assert.IsType<SpendAnomalyDetected>(Assert.Single(Rule.Decide(key, 60m, Trailing, Detector, Now)));
    }

    [Fact]
    public void a_spike_on_a_key_already_suspended_is_reported_without_suspending_it_again()
    {
        var key = Given.Key(Given.Issued(), SuspendOnAnomaly(), new KeySuspended(Given.KeyId, "pause", Given.Admin, Now.AddHours(-2)));

        Assert.IsType<SpendAnomalyDetected>(Assert.Single(Rule.Decide(key, 60m, Trailing, Detector, Now)));
    }

    [Fact]
    public void a_spike_on_a_revoked_key_is_reported_without_suspending_it()
    {
        var key = Given.Key(Given.Issued(), SuspendOnAnomaly(), new KeyRevoked(Given.KeyId, "leaked", Given.Admin, Now.AddHours(-2)));

        Assert.IsType<SpendAnomalyDetected>(Assert.Single(Rule.Decide(key, 60m, Trailing, Detector, Now)));
    }

    [Fact]
    public void a_key_is_not_reported_twice_within_an_hour()
    {
        var first = Rule.Decide(Given.Key(Given.Issued()), 60m, Trailing, Detector, Now);
        var key = Given.Key([Given.Issued(), .. first]);

        Assert.Equal(Now, key.LastAnomalyAt);
        Assert.Empty(Rule.Decide(key, 80m, Trailing, Detector, Now.AddMinutes(59)));
        Assert.Empty(Rule.Decide(key, 80m, Trailing, Detector, Now.AddHours(1).AddTicks(-1)));
    }

    [Fact]
    public void a_key_still_spiking_an_hour_after_its_last_report_is_reported_again()
    {
        var key = Given.Key(Given.Issued(), new SpendAnomalyDetected(Given.KeyId, 60m, 5m, 10m, 10m, Detector, Now.AddHours(-1)));

        Assert.IsType<SpendAnomalyDetected>(Assert.Single(Rule.Decide(key, 80m, Trailing, Detector, Now)));
    }

    [Fact]
    public void a_new_key_with_no_history_is_flagged_once_its_first_hour_passes_the_floor()
    {
        var key = Given.Key(Given.Issued());

        Assert.Empty(Rule.Decide(key, 9.99m, 0m, Detector, Now));
        var detected = Assert.IsType<SpendAnomalyDetected>(Assert.Single(Rule.Decide(key, 10.01m, 0m, Detector, Now)));
        Assert.Equal(0m, detected.TrailingHourlyAverage);
    }

    [Fact]
    public void spending_exactly_the_floor_is_not_an_anomaly()
    {
        // The rule's own contract: "above Floor", "a new key that spends more than the floor in its first hour is flagged".
        Assert.Empty(Rule.Decide(Given.Key(Given.Issued()), 10m, 0m, Detector, Now));
    }

    [Fact]
    public void a_key_that_spent_nothing_is_never_flagged_even_with_no_floor()
    {
        var noFloor = new AnomalyRule(10m, 0m, 24);

        Assert.Empty(noFloor.Decide(Given.Key(Given.Issued()), 0m, 0m, Detector, Now));
    }

    [Fact]
    public void a_custom_rule_uses_its_own_multiplier_floor_and_trailing_hours()
    {
        var rule = new AnomalyRule(3m, 1m, 6);
        var key = Given.Key(Given.Issued());

        // 12 USD over 6 hours: 2 USD an hour, so the line is at 6 USD.
        Assert.Empty(rule.Decide(key, 6m, 12m, Detector, Now));
        Assert.Equal([new SpendAnomalyDetected(Given.KeyId, 6.5m, 2m, 3m, 1m, Detector, Now)], rule.Decide(key, 6.5m, 12m, Detector, Now));
    }
}
