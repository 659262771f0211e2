using System.Globalization;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace ProxyAdapter.Routing;

/// <summary>What a provider's rate-limit headers say: the share of the account's tightest limit left, until when.</summary>
public sealed record RateLimitReading(double Fraction, DateTimeOffset? ResetAt);

/// <summary>
/// Reads the rate-limit headers providers put on their answers, strictly (a value that is not a plain number is
/// ignored, never guessed at):
/// OpenAI's <c>x-ratelimit-limit-requests</c>, <c>x-ratelimit-remaining-requests</c>, <c>x-ratelimit-reset-requests</c>
/// (a duration such as <c>6m0s</c>, <c>1.5s</c>, <c>20ms</c>) and the same for <c>-tokens</c>; Anthropic's
/// <c>anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}</c> (reset: an RFC 3339
/// instant). The reading is the dimension with the least left, as a share of its limit.
/// </summary>
public static partial class RateLimitHeaders
{
    private static readonly string[] OpenAiDimensions = ["requests", "tokens"];
    private static readonly string[] AnthropicDimensions = ["requests", "tokens", "input-tokens", "output-tokens"];

    public static RateLimitReading? Read(HttpResponseHeaders headers, DateTimeOffset now) => Read(
        name => headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null, now);

    public static RateLimitReading? Read(Func<string, string?> header, DateTimeOffset now)
    {
        RateLimitReading? tightest = null;
        void Consider(string? limit, string? remaining, DateTimeOffset? reset)
        {
            if (!long.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var of) || of <= 0
                || !long.TryParse(remaining, NumberStyles.None, CultureInfo.InvariantCulture, out var left))
                return;
            var fraction = Math.Min(left, of) / (double)of;
            if (tightest is null || fraction < tightest.Fraction)
                tightest = new RateLimitReading(fraction, reset);
        }

        foreach (var d in OpenAiDimensions)
            Consider(header($"x-ratelimit-limit-{d}"), header($"x-ratelimit-remaining-{d}"),
                Duration(header($"x-ratelimit-reset-{d}")) is { } wait ? now + wait : null);
        foreach (var d in AnthropicDimensions)
            Consider(header($"anthropic-ratelimit-{d}-limit"), header($"anthropic-ratelimit-{d}-remaining"),
                DateTimeOffset.TryParse(header($"anthropic-ratelimit-{d}-reset"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null);
        return tightest;
    }

    /// <summary>OpenAI's reset durations (Go's format): <c>1h2m3.5s</c>, <c>6m0s</c>, <c>20ms</c>; null for anything else or past a day.</summary>
    public static TimeSpan? Duration(string? value)
    {
        if (value is null || GoDuration().Match(value) is not { Success: true } m || value.Length == 0)
            return null;
        double Part(string name) => m.Groups[name].Success ? double.Parse(m.Groups[name].Value, CultureInfo.InvariantCulture) : 0;
        var seconds = Part("h") * 3600 + Part("m") * 60 + Part("s") + Part("ms") / 1000;
        return seconds <= 86_400 ? TimeSpan.FromSeconds(seconds) : null;
    }

    [GeneratedRegex(@"^(?=.)(?:(?<h>\d{1,5})h)?(?:(?<m>\d{1,5})m(?!s))?(?:(?<s>\d{1,5}(?:\.\d{1,9})?)s)?(?:(?<ms>\d{1,8}(?:\.\d{1,9})?)ms)?$", RegexOptions.CultureInvariant)]
    private static partial Regex GoDuration();
}
