using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Governance.Contracts.Feed;
using Governance.Domain.Keys;

namespace ProxyAdapter.Governance;

/// <summary>
/// One key as the adapter keeps it: what <c>AccessDecision</c> and the rate limiter read, and nothing else — about
/// 100 bytes besides its id (the secret hash as 32 bytes, not 64 hex characters; times as UTC ticks; the app, the
/// scope list and the rate limits shared with every key that has the same ones; a rotation's previous hash only
/// while a key has one). <see cref="ToKey"/> builds the domain's record for the one call that asks.
/// </summary>
internal sealed class KeyEntry : ISequenced
{
    private const long NoTime = long.MinValue;

    private readonly Sha256 _hash;
    private readonly bool _hasHash;
    private readonly long _expiresAtTicks;

    private KeyEntry(
        long seq, string app, IReadOnlyList<string> models, KeyStatus status, long expiresAtTicks, Sha256? hash, KeyRateLimits? limits,
        Rotation? previous, Tagging? tagging)
    {
        (Seq, App, Models, Status, _expiresAtTicks, Limits, Previous, Tags) = (seq, app, models, status, expiresAtTicks, limits, previous, tagging);
        if (hash is { } h)
            (_hash, _hasHash) = (h, true);
    }

    public long Seq { get; }
    public string App { get; }
    public IReadOnlyList<string> Models { get; }
    public KeyStatus Status { get; }
    public KeyRateLimits? Limits { get; }

    /// <summary>Set while the key has a previous secret (a rotation's grace, and after it, to answer <c>rotated</c>).</summary>
    public Rotation? Previous { get; }

    /// <summary>Set only for a key with tags of its own or required tags (most keys have none: nothing is kept).</summary>
    public Tagging? Tags { get; }

    public static KeyEntry From(FeedKey k, long seq, KeyParts parts)
    {
        var previous = k.PreviousSecretHash is null && k.PreviousValidUntil is null
            ? null
            : new Rotation(k.PreviousSecretHash, k.PreviousValidUntil);
        // A missing or malformed hash matches no presented key (as the domain's comparison of it would).
        return new KeyEntry(
            seq, parts.Intern(k.App), parts.Scope(k.Models), Enum.Parse<KeyStatus>(k.Status, ignoreCase: true),
            k.ExpiresAt?.UtcTicks ?? NoTime, Sha256.TryParse(k.SecretHash, out var hash) ? hash : null,
            k.RateLimits is { IsUnlimited: false } limits ? parts.Limits(limits) : null, previous,
            k.Tags.Count + k.RequiredTags.Count == 0 ? null : new Tagging(parts.Scope(k.Tags), parts.Scope(k.RequiredTags)));
    }

    public VirtualKey ToKey(string id) => new(
        id, App, "", Models, At(_expiresAtTicks), Status, _hasHash ? _hash.ToHex() : "", Previous?.Hash,
        Previous?.ValidUntil, default, "", null, null)
    {
        RateLimits = Limits, Tags = Tags?.Tags ?? [], RequiredTags = Tags?.Required ?? [],
    };

    private static DateTimeOffset? At(long ticks) => ticks == NoTime ? null : new DateTimeOffset(ticks, TimeSpan.Zero);

    /// <summary>A rotated key's previous secret hash (hex, as the domain compares it) and until when it is accepted.</summary>
    internal sealed record Rotation(string? Hash, DateTimeOffset? ValidUntil);

    /// <summary>The key's own tags and the tag keys its requests must carry.</summary>
    internal sealed record Tagging(IReadOnlyList<string> Tags, IReadOnlyList<string> Required);
}

/// <summary>A SHA-256 hash held inline (no array per key).</summary>
[InlineArray(32)]
internal struct Sha256
{
    private byte _first;

    public static bool TryParse(string? hex, out Sha256 hash)
    {
        hash = default;
        return hex is { Length: 64 } && Convert.FromHexString(hex, hash, out _, out var written) == OperationStatus.Done && written == 32;
    }

    public readonly string ToHex() => Convert.ToHexStringLower(this);
}

/// <summary>
/// The strings and small records many keys share (app names, scope lists, rate limits), one instance per distinct
/// value. It grows with the distinct values seen, never shrinks: a handful of apps and scopes in practice.
/// </summary>
internal sealed class KeyParts
{
    private readonly ConcurrentDictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string[], string[]> _scopes = new(ScopeComparer.Instance);
    private readonly ConcurrentDictionary<KeyRateLimits, KeyRateLimits> _limits = new();

    public string Intern(string value) => _strings.GetOrAdd(value, value);

    public IReadOnlyList<string> Scope(IReadOnlyList<string> models)
    {
        if (models.Count == 0)
            return [];
        var scope = new string[models.Count];
        for (var i = 0; i < scope.Length; i++)
            scope[i] = Intern(models[i]);
        return _scopes.GetOrAdd(scope, scope);
    }

    public KeyRateLimits Limits(KeyRateLimits limits) => _limits.GetOrAdd(limits, limits);

    private sealed class ScopeComparer : IEqualityComparer<string[]>
    {
        public static readonly ScopeComparer Instance = new();

        public bool Equals(string[]? x, string[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(string[] scope)
        {
            var hash = new HashCode();
            foreach (var model in scope)
                hash.Add(model, StringComparer.Ordinal);
            return hash.ToHashCode();
        }
    }
}
