namespace Governance.Domain.Attribution;

/// <summary>
/// An operator erased the readable id behind an end-user pseudonym of an app: the mapping row is deleted. The event names
/// the pseudonym, never the id. Stream: <see cref="EndUserIds.Stream"/>.
/// </summary>
public sealed record EndUserErased(string App, string User, bool MappingExisted, string ErasedBy, DateTimeOffset ErasedAt);

public static class EndUserIds
{
    /// <summary>A pseudonym is this prefix and 32 hex digits (128 bits of an HMAC-SHA-256).</summary>
    public const string Prefix = "eu_";

    public static bool IsPseudonym(string? value) =>
        value is { Length: 35 } && value.StartsWith(Prefix, StringComparison.Ordinal) && value.AsSpan(3).ContainsAnyExcept("0123456789abcdef") is false;

    public static string Stream(string pseudonym) => "end-user:" + pseudonym;
}
