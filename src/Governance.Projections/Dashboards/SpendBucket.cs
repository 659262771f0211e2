using System.Globalization;
using Governance.Domain.Usage;

namespace Governance.Projections.Dashboards;

/// <summary>The ways spend is broken down: every request counts once in each dimension it has an owner in.</summary>
public static class SpendDimension
{
    public const string Key = "key";
    public const string App = "app";
    public const string Model = "model";
    public const string Team = "team";
    /// <summary>The end user's pseudonym (docs/attribution.md).</summary>
    public const string User = "user";
    /// <summary>Each of the request's tags: a request with three tags counts in three tag buckets.</summary>
    public const string Tag = "tag";

    public static readonly IReadOnlyList<string> All = [Key, App, Model, Team, User, Tag];

    /// <summary>Who the request is charged to along <paramref name="dimension"/>; none when it has no owner there (no team, no tag).</summary>
    public static IEnumerable<string> OwnersOf(string dimension, RequestCompleted e)
    {
        var owner = dimension switch
        {
            Key => e.KeyId,
            App => e.App,
            Model => e.Model,
            Team => e.Team,
            User => e.User,
            Tag => null,
            _ => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "Unknown spend dimension."),
        };
        return dimension == Tag ? e.Tags : owner is null ? [] : [owner];
    }
}

/// <summary>
/// What one owner (a key, an app, a model or a team) spent in one UTC hour. Dashboards sum these; hours are the
/// finest grain kept, days are sums of 24 hours. <see cref="Day"/> is the UTC day the hour belongs to, stored so
/// PostgreSQL can group hours into days without date arithmetic on JSON.
/// </summary>
public sealed record SpendBucket(
    string Id,
    string Dimension,
    string Owner,
    DateTimeOffset Hour,
    DateTimeOffset Day,
    decimal Cost,
    long Requests,
    long InputTokens,
    long OutputTokens,
    long CachedTokens,
    long ReasoningTokens,
    long Errors)
{
    /// <summary>"app|billing|2026-11-27T14". Dimensions and the hour never contain '|', so any owner name is unambiguous.</summary>
    public static string IdFor(string dimension, string owner, DateTimeOffset hour) =>
        $"{dimension}|{owner}|{hour.ToString("yyyy-MM-dd'T'HH", CultureInfo.InvariantCulture)}";

    /// <summary>The buckets one request adds to: one per dimension it has an owner in, all in the hour it occurred.</summary>
    public static IReadOnlyList<string> IdsFor(RequestCompleted e)
    {
        var hour = HourOf(e.OccurredAt);
        return SpendDimension.All
            .SelectMany(dimension => SpendDimension.OwnersOf(dimension, e).Select(owner => IdFor(dimension, owner, hour)))
            .ToList();
    }

    public static DateTimeOffset HourOf(DateTimeOffset instant)
    {
        var utc = instant.UtcDateTime;
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero);
    }

    public static DateTimeOffset DayOf(DateTimeOffset instant) => new(instant.UtcDateTime.Date, TimeSpan.Zero);

    /// <summary>The bucket <paramref name="id"/> once <paramref name="e"/> is counted in it. Pure: a rebuild gives the same sums.</summary>
    public static SpendBucket Add(SpendBucket? bucket, string id, RequestCompleted e)
    {
        if (bucket is null)
        {
            // "dimension|owner|hour": neither the dimension nor the hour holds '|'.
            var (first, last) = (id.IndexOf('|'), id.LastIndexOf('|'));
            var hour = HourOf(e.OccurredAt);
            bucket = new SpendBucket(id, id[..first], id[(first + 1)..last], hour, DayOf(hour), 0m, 0, 0, 0, 0, 0, 0);
        }

        return bucket with
        {
            Cost = bucket.Cost + e.Cost,
            Requests = bucket.Requests + 1,
            InputTokens = bucket.InputTokens + e.InputTokens,
            OutputTokens = bucket.OutputTokens + e.OutputTokens,
            CachedTokens = bucket.CachedTokens + e.CachedTokens,
            ReasoningTokens = bucket.ReasoningTokens + e.ReasoningTokens,
            Errors = bucket.Errors + (e.Status >= 400 ? 1 : 0),
        };
    }
}
