using System.Security.Cryptography;
using Governance.Projections.Audit;
using Microsoft.Extensions.Configuration;

namespace Governance.Tests.Audit;

/// <summary>What an API node accepts as its checkpoint signing key, and what it refuses at start-up.</summary>
public sealed class CheckpointSignerTests
{
    private static CheckpointSigner From(params (string Key, string Value)[] settings) => CheckpointSigner.From(
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build());

    [Fact]
    public void a_p256_private_key_in_pem_a_file_or_base64_der_signs_and_names_its_public_key()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var file = Path.GetTempFileName();
        File.WriteAllText(file, key.ExportPkcs8PrivateKeyPem());
        try
        {
            var expectedId = Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];
            foreach (var signer in new[]
                     {
                         From((CheckpointSigner.KeySetting, key.ExportPkcs8PrivateKeyPem())),
                         From((CheckpointSigner.KeySetting, key.ExportECPrivateKeyPem())),
                         From((CheckpointSigner.KeySetting, Convert.ToBase64String(key.ExportPkcs8PrivateKey()))),
                         From((CheckpointSigner.KeyFileSetting, file)),
                     })
            {
                Assert.Equal(expectedId, signer.KeyId);
                Assert.Equal(key.ExportSubjectPublicKeyInfoPem(), signer.PublicKeyPem);
                var signature = signer.Sign(9, 4, 3, new string('a', 64), new string('b', 64), 0);
                var checkpoint = new AuditCheckpointed(9, 4, 3, new string('a', 64), new string('b', 64), signer.KeyId, signature, "t", DateTimeOffset.UnixEpoch,
                    CheckpointSigner.Algorithm, 0);
                Assert.Null(signer.Check(checkpoint));
                Assert.NotNull(signer.Check(checkpoint with { Events = 2 }));
                Assert.NotNull(signer.Check(checkpoint with { ChainStart = 1 }));
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void an_old_hmac_key_a_public_key_another_curve_or_no_key_is_refused_at_start_up()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var hmac = Assert.Throws<InvalidOperationException>(() => From((CheckpointSigner.KeySetting, Convert.ToBase64String(new byte[32]))));
        Assert.Contains("Audit__LegacyHmacKey", hmac.Message);
        Assert.Throws<InvalidOperationException>(() => From((CheckpointSigner.KeySetting, p256.ExportSubjectPublicKeyInfoPem())));
        Assert.Throws<InvalidOperationException>(() => From((CheckpointSigner.KeySetting, p384.ExportPkcs8PrivateKeyPem())));
        Assert.Throws<InvalidOperationException>(() => From());
        Assert.Throws<InvalidOperationException>(() => From((CheckpointSigner.KeySetting, p256.ExportPkcs8PrivateKeyPem()), (CheckpointSigner.KeyFileSetting, "/x")));
    }

    [Fact]
    public void a_legacy_checkpoint_is_trusted_only_with_the_legacy_key_and_never_after_an_ecdsa_one()
    {
        var legacyKey = RandomNumberGenerator.GetBytes(32);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var json = System.Text.Json.JsonDocument.Parse(AuditHistory.LegacyCheckpointData(9, 0, 3, new string('a', 64), AuditHistory.Zero, legacyKey)).RootElement;
        var legacy = new AuditCheckpointed(9, 0, 3, new string('a', 64), AuditHistory.Zero, json.GetProperty("KeyId").GetString()!,
            json.GetProperty("Signature").GetString()!, "t", DateTimeOffset.UnixEpoch);
        using var withLegacy = new CheckpointSigner(ECDsa.Create(key.ExportParameters(true)), legacyKey);
        using var without = new CheckpointSigner(ECDsa.Create(key.ExportParameters(true)));

        Assert.Null(CheckpointTrust.Check(legacy, 0, null, null, ecdsaExists: false, withLegacy));
        Assert.Equal("checkpoint_signature_invalid", CheckpointTrust.Check(legacy, 0, null, null, ecdsaExists: false, without)?.Code);
        Assert.Equal("checkpoint_signature_invalid", CheckpointTrust.Check(legacy, 0, null, null, ecdsaExists: true, withLegacy)?.Code);
    }
}
