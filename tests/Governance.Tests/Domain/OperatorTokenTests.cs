using System.Security.Cryptography;
using System.Text;
using Governance.Domain.Operators;

namespace Governance.Tests.Domain;

public sealed class OperatorTokenTests
{
    private static readonly DateTimeOffset Now = Given.Now;

    [Fact]
    public void the_token_id_is_stable_for_the_same_token()
    {
        var token = OperatorToken.NewToken();

        Assert.Equal(OperatorToken.IdFor(token), OperatorToken.IdFor(token));
        Assert.StartsWith("op_", OperatorToken.IdFor(token), StringComparison.Ordinal);
    }

    [Fact]
    public void different_tokens_have_different_ids()
    {
        Assert.NotEqual(OperatorToken.IdFor(OperatorToken.NewToken()), OperatorToken.IdFor(OperatorToken.NewToken()));
        Assert.NotEqual(OperatorToken.IdFor("token-a"), OperatorToken.IdFor("token-b"));
    }

    [Fact]
    public void the_token_id_does_not_contain_the_token()
    {
        const string token = "gop_abc";

        Assert.DoesNotContain("abc", OperatorToken.IdFor(token), StringComparison.Ordinal);
    }

    [Fact]
    public void new_tokens_are_prefixed_and_differ_each_time()
    {
        var token = OperatorToken.NewToken();

        Assert.Matches("^gop_[0-9A-Za-z]{40}$", token);
        Assert.NotEqual(token, OperatorToken.NewToken());
    }

    [Fact]
    public void the_hash_is_the_sha256_of_the_token_in_lowercase_hex()
    {
        const string token = "gop_example";
        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

        Assert.Equal(expected, OperatorToken.HashOf(token));
        Assert.Matches("^[0-9a-f]{64}$", OperatorToken.HashOf(token));
        // Known vector: SHA-256("abc").
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", OperatorToken.HashOf("abc"));
    }

    [Fact]
    public void issuing_a_token_records_its_hash_and_never_the_token()
    {
        var token = OperatorToken.NewToken();

        var issued = OperatorToken.Issue(token, "ci-bot", OperatorRoles.Admin, "op_root", Now);

        Assert.Equal(
            new OperatorTokenIssued(OperatorToken.IdFor(token), "ci-bot", OperatorRoles.Admin, OperatorToken.HashOf(token), "op_root", Now),
            issued);
        Assert.DoesNotContain(token, issued.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(token[OperatorToken.GeneratedPrefix.Length..], issued.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void an_issued_token_folds_into_an_operator_holding_only_the_hash()
    {
        var token = OperatorToken.NewToken();

        var state = OperatorToken.Evolve(null, OperatorToken.Issue(token, "ci-bot", OperatorRoles.Admin, "op_root", Now));

        Assert.NotNull(state);
        Assert.Equal(OperatorToken.IdFor(token), state.Id);
        Assert.Equal(OperatorToken.HashOf(token), state.TokenHash);
        Assert.Equal(OperatorRoles.Admin, state.Role);
        Assert.DoesNotContain(token, state.ToString(), StringComparison.Ordinal);
    }
}
