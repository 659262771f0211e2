using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Governance.Api.Infrastructure;

/// <summary>
/// The <c>?asOf=</c> query parameter of point-in-time reads: an ISO-8601 instant with an explicit offset or <c>Z</c>
/// (<c>2026-11-02T14:03:00Z</c>, <c>2026-11-02T15:03:00.5+01:00</c>). A local time without an offset is ambiguous and
/// refused; so is an instant after now (history is only known up to now: asking for the future is a mistake we point
/// out rather than silently answering with the present).
/// </summary>
public static partial class AsOf
{
    public const string Field = "asOf";

    /// <summary>
    /// False with a 400 problem naming <c>asOf</c> when <paramref name="raw"/> is malformed or in the future. True otherwise,
    /// with <paramref name="instant"/> null when no <c>asOf</c> was given (read the current state).
    /// </summary>
    public static bool TryParse(string? raw, DateTimeOffset now, out DateTimeOffset? instant, [NotNullWhen(false)] out IResult? problem)
    {
        instant = null;
        problem = null;
        if (raw is null)
            return true;
        var match = Shape().Match(raw);
        var text = raw;
        // An unencoded '+' in a query string arrives as a space: "…T15:03:00 01:00" can only mean "+01:00".
        if (match.Success && match.Groups["sign"] is { Value: " " } sign)
            text = string.Concat(raw.AsSpan(0, sign.Index), "+", raw.AsSpan(sign.Index + 1));
        if (!match.Success || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            problem = Problems.Field(Field,
                "'asOf' must be an ISO-8601 instant with an offset or Z, e.g. 2026-11-02T14:03:00Z (encode '+' as %2B).");
            return false;
        }
        if (parsed > now)
        {
            problem = Problems.Field(Field, $"'asOf' is in the future; history is known up to now ({now.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}).");
            return false;
        }
        instant = parsed.ToUniversalTime();
        return true;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|z|(?<sign>[+\- ])\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
