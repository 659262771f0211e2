using System.Text.RegularExpressions;
using Governance.Domain.Keys;

namespace Governance.Tests.Domain;

public sealed class KeyFormatTests
{
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const string LowerAlphanumeric = "0123456789abcdefghijklmnopqrstuvwxyz";

    private readonly string _keyId = KeyFormat.NewKeyId();
    private readonly string _key;

    public KeyFormatTests() => _key = KeyFormat.NewKey(_keyId);

    [Fact]
    public void a_new_key_is_found_by_secret_scanners_and_has_the_documented_length()
    {
        Assert.Matches($"^{KeyFormat.ScannerPattern}$", _key);
        Assert.Equal(KeyFormat.Length, _key.Length);
        Assert.StartsWith(KeyFormat.Prefix + _keyId + "_", _key, StringComparison.Ordinal);
    }

    [Fact]
    public void a_new_key_is_found_by_secret_scanners_inside_surrounding_text()
    {
        var text = $"export GATEWAY_KEY={_key}\n";

        Assert.Equal(_key, Regex.Match(text, KeyFormat.ScannerPattern).Value);
    }

    [Fact]
    public void new_key_ids_are_sixteen_lowercase_alphanumerics_and_differ_each_time()
    {
        var other = KeyFormat.NewKeyId();

        Assert.NotEqual(_keyId, other);
        Assert.Matches("^[a-z0-9]{16}$", _keyId);
    }

    [Fact]
    public void two_keys_for_the_same_id_differ()
    {
        Assert.NotEqual(_key, KeyFormat.NewKey(_keyId));
    }

    [Fact]
    public void the_key_id_is_read_back_from_a_fresh_key()
    {
        Assert.Equal(_keyId, KeyFormat.TryGetKeyId(_key));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("gk_")]
    [InlineData("sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQR")]
    public void garbage_has_no_key_id(string? presented)
    {
        Assert.Null(KeyFormat.TryGetKeyId(presented));
    }

    [Fact]
    public void a_key_with_another_prefix_has_no_key_id()
    {
        Assert.Null(KeyFormat.TryGetKeyId("sk_" + _key[3..]));
        Assert.Null(KeyFormat.TryGetKeyId("GK_" + _key[3..]));
    }

    [Fact]
    public void a_truncated_key_has_no_key_id()
    {
        Assert.Null(KeyFormat.TryGetKeyId(_key[..^1]));
        Assert.Null(KeyFormat.TryGetKeyId(_key[1..]));
    }

    [Fact]
    public void a_key_with_an_extra_character_has_no_key_id()
    {
        Assert.Null(KeyFormat.TryGetKeyId(_key + "a"));
        Assert.Null(KeyFormat.TryGetKeyId(" " + _key));
        Assert.Null(KeyFormat.TryGetKeyId(_key + "\n"));
    }

    [Fact]
    public void a_key_with_one_changed_character_in_the_secret_fails_its_checksum()
    {
        var position = KeyFormat.Prefix.Length + 16 + 1 + 5;
        var replacement = _key[position] == 'A' ? 'B' : 'A';

        Assert.Null(KeyFormat.TryGetKeyId(Replace(_key, position, replacement)));
    }

    [Fact]
    public void every_single_character_edit_anywhere_in_the_key_is_rejected()
    {
        var accepted = new List<string>();
        for (var position = 0; position < _key.Length; position++)
        {
            foreach (var replacement in AlphabetAt(position))
            {
                if (replacement == _key[position])
                    continue;
                var edited = Replace(_key, position, replacement);
                if (KeyFormat.TryGetKeyId(edited) is not null)
                    accepted.Add($"position {position}: '{_key[position]}' -> '{replacement}'");
            }
        }

        Assert.Empty(accepted);
    }

    [Fact]
    public void a_key_with_a_non_ascii_character_is_rejected()
    {
        var position = KeyFormat.Prefix.Length + 16 + 1;

        Assert.Null(KeyFormat.TryGetKeyId(Replace(_key, position, 'é')));
    }

    [Fact]
    public void the_hash_is_64_lowercase_hex_characters_and_never_the_key()
    {
        var hash = KeyFormat.Hash(_key);

        Assert.Matches("^[0-9a-f]{64}$", hash);
        Assert.DoesNotContain(_key, hash, StringComparison.Ordinal);
        Assert.Equal(hash, KeyFormat.Hash(_key));
    }

    [Fact]
    public void a_key_matches_its_own_hash()
    {
        Assert.True(KeyFormat.Matches(_key, KeyFormat.Hash(_key)));
    }

    [Fact]
    public void another_key_does_not_match()
    {
        Assert.False(KeyFormat.Matches(KeyFormat.NewKey(_keyId), KeyFormat.Hash(_key)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-hash")]
    [InlineData("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")]
    public void a_missing_or_malformed_stored_hash_never_matches(string? storedHash)
    {
        Assert.False(KeyFormat.Matches(_key, storedHash));
    }

    [Fact]
    public void a_stored_hash_of_the_right_length_but_not_hex_never_matches()
    {
        var garbage = new string('z', 64);

        Assert.False(KeyFormat.Matches(_key, garbage));
    }

    [Fact]
    public void the_hash_of_the_key_in_upper_case_hex_still_matches()
    {
        // Convert.FromHexString accepts either case; the stored hash is lower-case, but a hand-edited one still compares by value.
        Assert.True(KeyFormat.Matches(_key, KeyFormat.Hash(_key).ToUpperInvariant()));
    }

    private static string AlphabetAt(int position) => position switch
    {
        < 3 => "gk_" + Base62,
        < 3 + 16 => LowerAlphanumeric + "_",
        3 + 16 => "_" + Base62,
        _ => Base62 + "_",
    };

    private static string Replace(string value, int position, char replacement) =>
        string.Concat(value.AsSpan(0, position), new ReadOnlySpan<char>(in replacement), value.AsSpan(position + 1));
}
