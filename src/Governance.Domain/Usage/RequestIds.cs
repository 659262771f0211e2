using System.Security.Cryptography;

namespace Governance.Domain.Usage;

/// <summary>
/// The one shape of a request id: <c>req_</c> then 1–64 characters from <c>[A-Za-z0-9_-]</c>. The gateway and the API
/// make <c>req_</c> + 32 lower-case hex digits; another gateway reporting usage may put its own id after the prefix.
/// </summary>
/// <remarks>
/// A request id is its request's stream id (the ledger entry, or the denial record), so the prefix is a namespace: no
/// other stream id starts with <c>req_</c>. Keys are 16 <c>[a-z0-9]</c>, operators <c>op_</c>, access requests
/// <c>acr_</c>, reservations <c>rsv_</c>; budgets, windows, apps, webhooks and the audit checkpoints are
/// <c>kind:…</c> (a colon, which a request id cannot hold); models and providers, named freely, may not take the prefix
/// (<see cref="IsReserved"/>). So a request id can never name, and squat, another stream.
/// </remarks>
public static class RequestIds
{
    public const string Prefix = "req_";
    public const int MaxSuffixLength = 64;
    public const int MaxLength = 4 + MaxSuffixLength;

    public const string Shape = "'req_' followed by 1 to 64 letters, digits, '-' or '_'";

    public static string New() => Prefix + RandomNumberGenerator.GetHexString(32, lowercase: true);

    public static bool IsValid(string? id)
    {
        if (id is null || id.Length <= Prefix.Length || id.Length > MaxLength || !id.StartsWith(Prefix, StringComparison.Ordinal))
            return false;
        foreach (var c in id.AsSpan(Prefix.Length))
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_'))
                return false;
        return true;
    }

    /// <summary>A name that would fall in the request ids' namespace: refused for models and providers, whose names are stream ids.</summary>
    public static bool IsReserved(string? name) => name is not null && name.StartsWith(Prefix, StringComparison.Ordinal);
}
