namespace Governance.Domain.Keys;

/// <summary>How sensitive spike detection is: spend in the last hour above Multiplier × the trailing hourly average, and above Floor.</summary>
public sealed record AnomalyRule(decimal Multiplier, decimal Floor, int TrailingHours)
{
    public int TrailingHours { get; } = TrailingHours >= 1 ? TrailingHours : throw new ArgumentOutOfRangeException(nameof(TrailingHours), "Anomaly:TrailingHours must be at least 1.");

    public static readonly AnomalyRule Default = new(10m, 10m, 24);

    /// <summary>
    /// Decides on one key's spend. Reported at most once per hour per key. A key with no history has an average of 0,
    /// so only the floor protects it: a new key that spends more than the floor in its first hour is flagged.
    /// </summary>
    public object[] Decide(VirtualKey key, decimal lastHour, decimal trailingTotal, string actor, DateTimeOffset now)
    {
        var average = trailingTotal / TrailingHours;
        if (lastHour <= Floor || lastHour <= Multiplier * average)
            return [];
        if (key.LastAnomalyAt is { } last && now - last < TimeSpan.FromHours(1))
            return [];

        object[] detected = [new SpendAnomalyDetected(key.Id, lastHour, average, Multiplier, Floor, actor, now)];
        return key.SuspendOnAnomaly && key.Status == KeyStatus.Active
            ? [.. detected, new KeySuspended(key.Id, $"spend anomaly: {lastHour} USD in the last hour against an hourly average of {average:0.######} USD", actor, now)]
            : detected;
    }
}
