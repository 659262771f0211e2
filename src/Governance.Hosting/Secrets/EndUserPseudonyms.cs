using System.Security.Cryptography;
using System.Text;
using Governance.Domain.Attribution;
using Microsoft.Extensions.Configuration;

namespace Governance.Hosting.Secrets;

/// <summary>
/// Keyed pseudonyms of end-user ids: <c>eu_</c> + the first 128 bits (hex) of HMAC-SHA-256(key, app ‖ 0x00 ‖ id). The same
/// user of the same app gets the same pseudonym on every node (user budgets, spend by user); without the key nobody can
/// recompute one from an id. The key never reaches the database or an event: GOVERNANCE_PSEUDONYM_KEY (base64 of 32 bytes),
/// or, when it is not set, one derived from GOVERNANCE_MASTER_KEY with HKDF (then a master key rotation changes every
/// pseudonym: set GOVERNANCE_PSEUDONYM_KEY before rotating). The API and every adapter must hold the same key.
/// </summary>
public sealed class EndUserPseudonyms
{
    public const string Setting = "GOVERNANCE_PSEUDONYM_KEY";
    private static readonly byte[] DerivationInfo = "governance end-user pseudonyms v1"u8.ToArray();
    private readonly byte[] _key;

    public EndUserPseudonyms(byte[] key)
    {
        if (key.Length < 32)
            throw new InvalidOperationException($"{Setting} must be at least 32 bytes (base64).");
        _key = key;
    }

    public static EndUserPseudonyms From(IConfiguration configuration)
    {
        if (configuration[Setting] is { Length: > 0 } own)
            return new(Decode(own, Setting));
        var master = Decode(MasterKeys.KeyFrom(configuration), "GOVERNANCE_MASTER_KEY");
        return new(HKDF.DeriveKey(HashAlgorithmName.SHA256, master, 32, info: DerivationInfo));
    }

    /// <summary>The pseudonym of <paramref name="user"/> (an id already checked by <see cref="AttributionRules.CheckUser"/>) within <paramref name="app"/>.</summary>
    public string Of(string app, string user)
    {
        var input = Encoding.UTF8.GetBytes(app + "\0" + user);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, input, mac);
        return EndUserIds.Prefix + Convert.ToHexStringLower(mac[..16]);
    }

    private static byte[] Decode(string base64, string name)
    {
        try
        {
            return Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{name} is not base64.");
        }
    }
}
