using System.Security.Cryptography;
using System.Text;
using Governance.Hosting.Secrets;

namespace Governance.Tests.Domain;

public sealed class SecretProtectorTests
{
    private const string ApiKey = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789";
    private static readonly SecretBinding OpenAi = SecretBinding.Provider("openai", "https://api.openai.com/v1");
    private readonly string _masterKey = NewKey();
    private readonly SecretProtector _protector;

    public SecretProtectorTests() => _protector = new SecretProtector(_masterKey);

    private static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>The nonce, tag and ciphertext of a current ciphertext (after "v2:&lt;key id&gt;:").</summary>
    private static byte[] Raw(string protectedValue) => Convert.FromBase64String(protectedValue.Split(':')[2]);

    private static string WithRaw(string protectedValue, byte[] raw) =>
        string.Join(':', protectedValue.Split(':')[..2]) + ":" + Convert.ToBase64String(raw);

    [Fact]
    public void a_protected_secret_comes_back_unchanged()
    {
        var ciphertext = _protector.Protect(ApiKey, OpenAi);

        Assert.Equal(ApiKey, _protector.Unprotect(ciphertext, OpenAi));
    }

    [Theory]
    [InlineData("")]
    [InlineData("ключ-🔑")]
    public void empty_and_non_ascii_secrets_round_trip(string secret)
    {
        Assert.Equal(secret, _protector.Unprotect(_protector.Protect(secret, OpenAi), OpenAi));
    }

    [Fact]
    public void protecting_the_same_secret_twice_gives_different_ciphertexts()
    {
        Assert.NotEqual(_protector.Protect(ApiKey, OpenAi), _protector.Protect(ApiKey, OpenAi));
    }

    [Fact]
    public void the_ciphertext_does_not_contain_the_secret_and_names_its_master_key()
    {
        var ciphertext = _protector.Protect(ApiKey, OpenAi);

        Assert.DoesNotContain(ApiKey, ciphertext, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-proj", Encoding.UTF8.GetString(Raw(ciphertext)), StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(ApiKey)), ciphertext, StringComparison.Ordinal);
        Assert.StartsWith($"v2:{_protector.CurrentKeyId}:", ciphertext);
        Assert.Equal(_protector.CurrentKeyId, SecretProtector.KeyIdOf(ciphertext));
        Assert.Matches("^[0-9a-f]{16}$", _protector.CurrentKeyId);
    }

    [Fact]
    public void a_secret_copied_to_another_provider_does_not_decrypt()
    {
        var ciphertext = _protector.Protect(ApiKey, OpenAi);

        Assert.ThrowsAny<CryptographicException>(() => _protector.Unprotect(ciphertext, SecretBinding.Provider("azure", "https://api.openai.com/v1")));
    }

    [Theory]
    [InlineData("https://attacker.example/v1")]
    [InlineData("https://api.openai.com/v1/")]
    [InlineData("http://api.openai.com/v1")]
    public void a_key_whose_base_url_was_changed_does_not_decrypt(string changedUrl)
    {
        var ciphertext = _protector.Protect(ApiKey, OpenAi);

        var error = Assert.Throws<SecretUnavailableException>(() => _protector.Unprotect(ciphertext, SecretBinding.Provider("openai", changedUrl)));
        Assert.Contains("URL was changed", error.Message);
        Assert.DoesNotContain(ApiKey, error.Message);
    }

    [Fact]
    public void a_webhook_secret_is_bound_to_its_scope_and_url_and_never_decrypts_as_a_provider_key()
    {
        var hook = SecretBinding.Webhook("global", "https://hooks.example/governance");
        var ciphertext = _protector.Protect("whsec-0123456789abcdef", hook);

        Assert.Equal("whsec-0123456789abcdef", _protector.Unprotect(ciphertext, hook));
        Assert.ThrowsAny<CryptographicException>(() => _protector.Unprotect(ciphertext, SecretBinding.Webhook("global", "https://attacker.example/")));
        Assert.ThrowsAny<CryptographicException>(() => _protector.Unprotect(ciphertext, SecretBinding.Provider("global", "https://hooks.example/governance")));
    }

    [Fact]
    public void a_secret_protected_under_another_master_key_does_not_decrypt_and_the_error_names_both_keys()
    {
        var other = new SecretProtector(NewKey());

        var error = Assert.Throws<SecretUnavailableException>(() => _protector.Unprotect(other.Protect(ApiKey, OpenAi), OpenAi));
        Assert.Contains(other.CurrentKeyId, error.Message);
        Assert.Contains(_protector.CurrentKeyId, error.Message);
    }

    [Fact]
    public void during_a_rotation_both_keys_decrypt_and_new_ciphertexts_use_the_new_key()
    {
        var newKey = NewKey();
        var old = _protector.Protect(ApiKey, OpenAi);
        var rotating = new SecretProtector(newKey, _masterKey);

        Assert.Equal(ApiKey, rotating.Unprotect(old, OpenAi));
        Assert.False(rotating.IsCurrent(old));
        var again = rotating.Protect(ApiKey, OpenAi);
        Assert.True(rotating.IsCurrent(again));
        Assert.Equal(ApiKey, new SecretProtector(newKey).Unprotect(again, OpenAi));
        Assert.ThrowsAny<CryptographicException>(() => new SecretProtector(newKey).Unprotect(old, OpenAi));
    }

    [Fact]
    public void a_legacy_ciphertext_without_key_id_still_decrypts_with_the_current_or_the_previous_key()
    {
        var legacy = LegacyCiphertext.Of(_masterKey, ApiKey, "openai");

        Assert.Null(SecretProtector.KeyIdOf(legacy));
        Assert.Equal(ApiKey, _protector.Unprotect(legacy, OpenAi));
        Assert.Equal(ApiKey, new SecretProtector(NewKey(), _masterKey).Unprotect(legacy, OpenAi));
        Assert.ThrowsAny<CryptographicException>(() => _protector.Unprotect(legacy, SecretBinding.Provider("azure", "https://api.openai.com/v1")));
        Assert.ThrowsAny<CryptographicException>(() => new SecretProtector(NewKey()).Unprotect(legacy, OpenAi));
    }

    [Fact]
    public void tampering_with_any_byte_of_the_ciphertext_is_detected()
    {
        var ciphertext = _protector.Protect(ApiKey, OpenAi);
        var raw = Raw(ciphertext);
        var undetected = new List<int>();

        for (var i = 0; i < raw.Length; i++)
        {
            var tampered = (byte[])raw.Clone();
            tampered[i] ^= 0x01;
            try
            {
                _protector.Unprotect(WithRaw(ciphertext, tampered), OpenAi);
                undetected.Add(i);
            }
            catch (CryptographicException)
            {
                // Expected: the authentication tag no longer matches.
            }
        }

        Assert.Empty(undetected);
    }

    [Theory]
    [InlineData("")]
    [InlineData("v2:")]
    [InlineData("v2:abc")]
    [InlineData("v2:abc:not base64!")]
    [InlineData("v2:abc:c2hvcnQ=")]
    [InlineData("not base64 at all!")]
    public void a_malformed_ciphertext_is_a_clear_error(string value)
    {
        Assert.ThrowsAny<CryptographicException>(() => _protector.Unprotect(value, OpenAi));
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
        Assert.Throws<InvalidOperationException>(() => new SecretProtector(NewKey(), masterKey));
    }

    [Fact]
    public void a_32_byte_master_key_is_accepted()
    {
        var protector = new SecretProtector(Convert.ToBase64String(new byte[32]));
        var binding = SecretBinding.Provider("p", "https://p.example");

        Assert.Equal("x", protector.Unprotect(protector.Protect("x", binding), binding));
    }
}
