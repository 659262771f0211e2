using System.Security.Cryptography;
using Governance.Domain.Keys;

namespace Governance.Tests.Scan;

/// <summary>
/// Secrets in the documented shapes, random on every run: none is written into this repository's files, where
/// scanners (ours included) would rightly flag them.
/// </summary>
public static class Secrets
{
    private const string Alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static string Random(int length, string alphabet = Alphanumeric) => RandomNumberGenerator.GetString(alphabet, length);

    public static string VirtualKey() => KeyFormat.NewKey(KeyFormat.NewKeyId());

    public static string OpenAi() => "sk-proj-" + Random(40) + "T3BlbkFJ" + Random(40);

    public static string OpenAiLegacy() => "sk-" + Random(48);

    public static string Anthropic() => "sk-ant-api03-" + Random(93) + "AA";

    public static string AwsAccessKeyId() => "AKIA" + Random(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");

    public static string Google() => "AIza" + Random(35);

    public static string Replicate() => "r8_" + Random(37);

    public static string Hex32() => Random(32, "0123456789abcdef");

    /// <summary>The last 20 characters: random in every shape, never part of a prefix or key id, so never in any output.</summary>
    public static string Tail(string secret) => secret[^20..];
}
