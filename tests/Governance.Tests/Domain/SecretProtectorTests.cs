using System.Security.Cryptography;
using System.Text;
using Governance.Projections;

namespace Governance.Tests.Domain;

public sealed class SecretProtectorTests
{
    private const string ApiKey = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789";
    private readonly SecretProtector _protector = new(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));

    [Fact]
    public void a_protected_secret_comes_back_unchanged()
    {
        var ciphertext = _protector.Protect(ApiKey, "openai");

        Assert.Equal(ApiKey, _protector.Unprotect(ciphertext, "openai"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("ключ-🔑")]
    public void empty_and_non_ascii_secrets_round_trip(string secret)
    {
        Assert.Equal(secret, _protector.Unprotect(_protector.Protect(secret, "openai"), "openai"));
    }

    [Fact]
    public void protecting_the_same_secret_twice_gives_different_ciphertexts()
    {
        Assert.NotEqual(_protector.Protect(ApiKey, "openai"), _protector.Protect(ApiKey, "openai"));
    }

    [Fact]
    public void the_ciphertext_does_not_contain_the_secret()
    {
        var ciphertext = _protector.Protect(ApiKey, "openai");
        var raw = Convert.FromBase64String(ciphertext);

        Assert.DoesNotContain(ApiKey, ciphertext, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-proj", Encoding.UTF8.GetString(raw), StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(ApiKey)), ciphertext, StringComparison.Ordinal);
    }

    [Fact]
    public void a_secret_copied_to_another_provider_does_not_decrypt()
    {
        var ciphertext = _protector.Protect(ApiKey, "openai");

        Assert.ThrowsAny<CryptographicException>(() => _protector.Unprotect(ciphertext, "azure"));
    }

    [Fact]
    public void a_secret_protected_under_another_master_key_does_not_decrypt()
    {
        var other = new SecretProtector(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));

        Assert.ThrowsAny<CryptographicException>(() => _protector.Unprotect(other.Protect(ApiKey, "openai"), "openai"));
    }

    [Fact]
    public void tampering_with_any_byte_of_the_ciphertext_is_detected()
    {
        var raw = Convert.FromBase64String(_protector.Protect(ApiKey, "openai"));
        var undetected = new List<int>();

        for (var i = 0; i < raw.Length; i++)
        {
            var tampered = (byte[])raw.Clone();
            tampered[i] ^= 0x01;
            try
            {
                _protector.Unprotect(Convert.ToBase64String(tampered), "openai");
                undetected.Add(i);
            }
            catch (CryptographicException)
            {
                // Expected: the authentication tag no longer matches.
            }
        }

        Assert.Empty(undetected);
    }

    [Fact]
    public void flipping_one_ciphertext_byte_throws_an_authentication_error()
    {
        var raw = Convert.FromBase64String(_protector.Protect(ApiKey, "openai"));
        raw[^1] ^= 0xFF;

        Assert.ThrowsAny<CryptographicException>(() => _protector.Unprotect(Convert.ToBase64String(raw), "openai"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not base64 at all!")]
    [InlineData("c2hvcnQ=")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA==")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void a_master_key_that_is_not_base64_of_32_bytes_is_rejected_at_startup(string masterKey)
    {
        Assert.Throws<InvalidOperationException>(() => new SecretProtector(masterKey));
    }

    [Fact]
    public void a_32_byte_master_key_is_accepted()
    {
        var protector = new SecretProtector(Convert.ToBase64String(new byte[32]));

        Assert.Equal("x", protector.Unprotect(protector.Protect("x", "p"), "p"));
    }
}
