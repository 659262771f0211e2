using System.Globalization;
using System.Security.Cryptography;
using Governance.Projections.Alerts;
using Microsoft.AspNetCore.Http;

namespace Governance.Api.Leaks;

/// <summary>
/// Who may report leaks (<c>POST /api/leaks</c>): secret-scanning services whose requests carry a signature over the raw
/// body, checked against the public keys and the shared secret configured here. Nothing configured: every report is refused.
/// <list type="bullet">
/// <item>ECDSA P-256, as GitHub's secret scanning partner program signs: <c>Github-Public-Key-Identifier</c> names one of
/// <c>Leaks__PublicKeys__&lt;id&gt;</c> (PEM, or base64 of the SubjectPublicKeyInfo), <c>Github-Public-Key-Signature</c> is
/// the base64 DER signature of SHA-256 over the body.</item>
/// <item>HMAC-SHA-256 with <c>Leaks__Secret</c>, as our webhooks sign (<see cref="WebhookDelivery.Signature"/>):
/// <c>X-Governance-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC of "t." ‖ body&gt;</c>, t within
/// <c>Leaks__MaxSkewSeconds</c> (300) of the API's clock.</item>
/// </list>
/// </summary>
public sealed class LeakSignatures
{
    public const string KeyIdHeader = "Github-Public-Key-Identifier";
    public const string KeySignatureHeader = "Github-Public-Key-Signature";
    public const string HmacHeader = WebhookDelivery.SignatureHeader;
    public const int MinSecretLength = 32;

    private readonly IReadOnlyDictionary<string, ECDsa> _keys;
    private readonly string? _secret;
    private readonly TimeSpan _maxSkew;

    public LeakSignatures(IReadOnlyDictionary<string, ECDsa> keys, string? secret, TimeSpan maxSkew)
    {
        _keys = keys;
        _secret = secret;
        _maxSkew = maxSkew;
    }

    public bool Configured => _keys.Count > 0 || _secret is not null;

    /// <summary>
    /// The settings, checked at start-up: a key that does not parse as an ECDSA P-256 public key, or a secret shorter than
    /// <see cref="MinSecretLength"/>, stops it with a message naming the setting (never its value).
    /// </summary>
    public static LeakSignatures From(IConfiguration configuration)
    {
        var keys = new Dictionary<string, ECDsa>(StringComparer.Ordinal);
        foreach (var entry in configuration.GetSection("Leaks:PublicKeys").GetChildren())
            keys[entry.Key] = PublicKey(entry.Key, entry.Value);
        var secret = configuration["Leaks:Secret"] is { Length: > 0 } s ? s : null;
        if (secret is { Length: < MinSecretLength })
            throw new InvalidOperationException($"Leaks__Secret must be at least {MinSecretLength} characters (random ones).");
        var skew = configuration.GetValue("Leaks:MaxSkewSeconds", 300);
        if (skew is < 1 or > 3600)
            throw new InvalidOperationException("Leaks__MaxSkewSeconds must be between 1 and 3600.");
        return new LeakSignatures(keys, secret, TimeSpan.FromSeconds(skew));
    }

    private static ECDsa PublicKey(string id, string? text)
    {
        var key = ECDsa.Create();
        try
        {
            if (text is null)
                throw new FormatException("empty");
            if (text.Contains("-----BEGIN", StringComparison.Ordinal))
                key.ImportFromPem(text);
            else
                key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(text.Trim()), out _);
            if (key.KeySize != 256)
                throw new FormatException("not a P-256 key");
            return key;
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException)
        {
            key.Dispose();
            throw new InvalidOperationException($"Leaks__PublicKeys__{id} is not an ECDSA P-256 public key (PEM, or base64 of its SubjectPublicKeyInfo): {e.Message}");
        }
    }

    /// <summary>
    /// What the headers alone say, before the body is read: a claim to check against the body, or null when the request
    /// cannot be one we accept (no signature, an unknown key id, a malformed signature, a timestamp out of range).
    /// </summary>
    public Claim? Read(IHeaderDictionary headers, DateTimeOffset now)
    {
        if (headers[KeyIdHeader].ToString() is { Length: > 0 and <= 200 } keyId)
        {
            if (!_keys.TryGetValue(keyId, out var key) || !TryBase64(headers[KeySignatureHeader].ToString(), out var signature))
                return null;
            return new Claim("key:" + keyId, body => key.VerifyData(body, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        }
        if (_secret is null || !TryParseHmac(headers[HmacHeader].ToString(), out var at, out var mac)
            || (now - at).Duration() > _maxSkew)
            return null;
        var secret = _secret;
        return new Claim("shared-secret", body =>
            CryptographicOperations.FixedTimeEquals(mac, Convert.FromHexString(WebhookDelivery.Signature(secret, at, body).Split(",v1=")[1])));
    }

    private static bool TryBase64(string text, out byte[] bytes)
    {
        bytes = [];
        // A DER P-256 signature is at most 72 bytes; anything much longer is not one.
        if (text.Length is 0 or > 200)
            return false;
        try
        {
            bytes = Convert.FromBase64String(text);
            return bytes.Length > 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static bool TryParseHmac(string header, out DateTimeOffset at, out byte[] mac)
    {
        at = default;
        mac = [];
        var parts = header.Split(',');
        if (parts.Length != 2 || !parts[0].StartsWith("t=", StringComparison.Ordinal) || !parts[1].StartsWith("v1=", StringComparison.Ordinal)
            || !long.TryParse(parts[0].AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds() || parts[1].Length != 3 + 64)
            return false;
        try
        {
            mac = Convert.FromHexString(parts[1].AsSpan(3));
        }
        catch (FormatException)
        {
            return false;
        }
        at = DateTimeOffset.FromUnixTimeSeconds(seconds);
        return true;
    }

    /// <summary>A signature the headers carry: who it claims to be, and its check of the body.</summary>
    public sealed record Claim(string Reporter, Func<byte[], bool> Verifies);
}
