namespace Governance.Domain.Attribution;

/// <summary>
/// Who a request is for and what it is for, as recorded: the end user's keyed pseudonym (never the id the app sent) and the
/// request's tags (<c>key:value</c>, sorted, the key's own tags included). Docs: docs/attribution.md.
/// </summary>
public sealed record Attribution(string? User, IReadOnlyList<string> Tags)
{
    public static readonly Attribution None = new(null, []);
}

/// <summary>A piece of attribution the API or the gateway refuses: the field or header at fault, and why.</summary>
public sealed record AttributionProblem(string Field, string Message);

/// <summary>
/// The rules for end-user ids and tags, in one place for the gateway, <c>/api/authorize</c>, <c>/api/usage</c> and the key's
/// tags. Strict: a value outside them is refused, never cut or cleaned, so what is recorded is what the caller sent.
/// </summary>
public static class AttributionRules
{
    /// <summary>The header an app names its end user in when the API's body has no field for it.</summary>
    public const string UserHeader = "x-governance-user";

    /// <summary>The header of a request's tags: <c>key:value</c>, comma-separated.</summary>
    public const string TagsHeader = "x-governance-tags";

    /// <summary>The prefix of every header that is the gateway's own: never forwarded to a provider.</summary>
    public const string HeaderPrefix = "x-governance-";

    public const int MaxUserLength = 128;
    public const int MaxTagKeyLength = 32;
    public const int MaxTagValueLength = 64;

    /// <summary>
    /// Tags one request may carry, the key's own included. Each may have a budget, so a request may draw on up to this many
    /// tag budgets besides its key, app, team, grant and user budgets.
    /// </summary>
    public const int MaxTags = 8;

    /// <summary>Tags an operator may set or require on a key (within <see cref="MaxTags"/>).</summary>
    public const int MaxKeyTags = MaxTags;

    /// <summary>
    /// An end-user id: 1 to 128 of letters, digits and <c>. _ - @ + = : / |</c> (an email address, a UUID, an
    /// <c>auth0|…</c> id, a hash). No spaces or control characters, so it cannot forge a log line or a CSV cell.
    /// </summary>
    public static AttributionProblem? CheckUser(string field, string? user)
    {
        if (user is null)
            return null;
        if (user.Length is 0 or > MaxUserLength)
            return new(field, $"'{field}' must be 1 to {MaxUserLength} characters.");
        foreach (var c in user)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@' or '+' or '=' or ':' or '/' or '|'))
                return new(field, $"'{field}' may hold only letters, digits and . _ - @ + = : / | (no spaces or control characters).");
        return null;
    }

    /// <summary>A tag key: 1 to 32 of lower-case letters, digits, <c>_ - .</c>, starting with a letter.</summary>
    public static bool IsTagKey(ReadOnlySpan<char> key)
    {
        if (key.Length is 0 or > MaxTagKeyLength || !char.IsAsciiLetterLower(key[0]))
            return false;
        foreach (var c in key)
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-' or '.'))
                return false;
        return true;
    }

    /// <summary>A tag value: 1 to 64 of letters, digits, <c>_ - . /</c>.</summary>
    public static bool IsTagValue(ReadOnlySpan<char> value)
    {
        if (value.Length is 0 or > MaxTagValueLength)
            return false;
        foreach (var c in value)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '/'))
                return false;
        return true;
    }

    public static string TagKeyOf(string tag) => tag[..tag.IndexOf(':')];

    /// <summary>Tags as a list of <c>key:value</c>: each well formed, each key once, at most <paramref name="max"/>; sorted.</summary>
    public static AttributionProblem? CheckTags(string field, IReadOnlyList<string>? tags, out IReadOnlyList<string> parsed, int max = MaxTags)
    {
        parsed = [];
        if (tags is null || tags.Count == 0)
            return null;
        if (tags.Count > max)
            return new(field, $"'{field}' may name at most {max} tags.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            var colon = tag?.IndexOf(':') ?? -1;
            if (tag is null || colon < 0 || !IsTagKey(tag.AsSpan(0, colon)) || !IsTagValue(tag.AsSpan(colon + 1)))
                return new(field, $"'{field}': each tag is key:value, the key 1 to {MaxTagKeyLength} of a-z 0-9 _ - . starting with a letter, "
                    + $"the value 1 to {MaxTagValueLength} of letters, digits, _ - . /.");
            if (!seen.Add(tag[..colon]))
                return new(field, $"'{field}' names the tag key '{tag[..colon]}' twice.");
        }
        parsed = tags.Order(StringComparer.Ordinal).ToList();
        return null;
    }

    /// <summary>The tags of a header value: comma-separated <c>key:value</c>, spaces around each allowed.</summary>
    public static AttributionProblem? ParseTagsHeader(string? header, out IReadOnlyList<string> parsed)
    {
        parsed = [];
        if (header is null)
            return null;
        // A header longer than the most tags could be is refused before it is split.
        if (header.Length > MaxTags * (MaxTagKeyLength + MaxTagValueLength + 4))
            return new(TagsHeader, $"'{TagsHeader}' is too long: at most {MaxTags} tags.");
        var tags = header.Split(',').Select(t => t.Trim(' ', '\t')).ToList();
        if (tags.Any(t => t.Length == 0))
            return new(TagsHeader, $"'{TagsHeader}' has an empty tag: write key:value pairs separated by commas.");
        return CheckTags(TagsHeader, tags, out parsed);
    }

    /// <summary>Tag keys an operator requires on a key: well-formed keys, each once.</summary>
    public static AttributionProblem? CheckTagKeys(string field, IReadOnlyList<string>? keys)
    {
        if (keys is null)
            return null;
        if (keys.Count > MaxKeyTags)
            return new(field, $"'{field}' may name at most {MaxKeyTags} tag keys.");
        if (keys.Any(k => k is null || !IsTagKey(k)))
            return new(field, $"'{field}': each is a tag key, 1 to {MaxTagKeyLength} of a-z 0-9 _ - . starting with a letter.");
        if (keys.Distinct(StringComparer.Ordinal).Count() != keys.Count)
            return new(field, $"'{field}' names a tag key twice.");
        return null;
    }

    /// <summary>
    /// What a reporting gateway (<c>/api/usage</c>, <c>/api/authorize</c>) says, completed with the key's own tags for tag keys
    /// it does not name. A gateway with the adapter role is trusted with what happened: its tags are not refused for the
    /// key's required tags or overridden by the key's.
    /// </summary>
    public static AttributionProblem? Fill(string field, IReadOnlyList<string> reported, IReadOnlyList<string> keyTags, out IReadOnlyList<string> filled)
    {
        var named = reported.Select(TagKeyOf).ToHashSet(StringComparer.Ordinal);
        filled = reported.Concat(keyTags.Where(t => !named.Contains(TagKeyOf(t)))).Order(StringComparer.Ordinal).ToList();
        return filled.Count > MaxTags ? new(field, $"'{field}': with the key's own tags, a request carries at most {MaxTags} tags.") : null;
    }

    /// <summary>
    /// The request's tags: the caller's and the key's own. The key's tags are the operator's and cannot be changed by the
    /// caller: a caller's tag with the same key and another value is refused, as is a request that lacks a required key.
    /// </summary>
    public static AttributionProblem? Merge(
        string field, IReadOnlyList<string> callerTags, IReadOnlyList<string> keyTags, IReadOnlyList<string> requiredKeys, out IReadOnlyList<string> merged)
    {
        merged = [];
        var byKey = keyTags.ToDictionary(TagKeyOf, StringComparer.Ordinal);
        foreach (var tag in callerTags)
        {
            var key = TagKeyOf(tag);
            if (byKey.TryGetValue(key, out var own) && own != tag)
                return new(field, $"'{field}': the key sets the tag '{own}'; a request cannot name another value for '{key}'.");
            byKey[key] = tag;
        }
        if (byKey.Count > MaxTags)
            return new(field, $"'{field}': with the key's own tags, a request may carry at most {MaxTags} tags.");
        if (requiredKeys.FirstOrDefault(k => !byKey.ContainsKey(k)) is { } missing)
            return new(field, $"'{field}' must name the tag '{missing}' (key:value): this key requires it.");
        merged = byKey.Values.Order(StringComparer.Ordinal).ToList();
        return null;
    }
}
