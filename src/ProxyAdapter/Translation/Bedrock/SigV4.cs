using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ProxyAdapter.Translation.Bedrock;

/// <summary>AWS credentials: an access key id and its secret, and a session token for temporary credentials.</summary>
public sealed record AwsCredentials(string AccessKeyId, string SecretAccessKey, string? SessionToken = null)
{
    // The secret must never reach a log line through a record's generated ToString.
    public override string ToString() => $"AwsCredentials {{ AccessKeyId = {AccessKeyId} }}";
}

/// <summary>
/// An HTTP request as SigV4 sees it. <see cref="Path"/> is signed as given, each segment URI-encoded once more: pass the
/// path as it is sent on the wire (Bedrock's model ids are already percent-encoded there, so their canonical form is encoded
/// twice, as AWS's own SDKs sign it). <see cref="Query"/> holds decoded names and values. <see cref="Headers"/> are the
/// headers to sign besides <c>host</c> and the <c>x-amz-*</c> ones the signer adds.
/// </summary>
public sealed record SignableRequest(
    string Method, string Host, string Path, IReadOnlyList<KeyValuePair<string, string>> Query,
    IReadOnlyList<KeyValuePair<string, string>> Headers, ReadOnlyMemory<byte> Payload);

/// <summary>
/// AWS Signature Version 4 (docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html), as pure
/// functions: the canonical request, the string to sign, the signing key (HMAC chain over date, region, service,
/// "aws4_request") and the signature. Checked against AWS's published test suite (tests/Governance.Tests/Translation).
/// </summary>
public static class SigV4
{
    public const string Algorithm = "AWS4-HMAC-SHA256";

    /// <summary>
    /// The headers that sign <paramref name="request"/>: <c>x-amz-date</c>, <c>x-amz-security-token</c> for temporary
    /// credentials, <c>x-amz-content-sha256</c> when <paramref name="payloadHeader"/>, and <c>Authorization</c>.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Sign(
        SignableRequest request, AwsCredentials credentials, string region, string service, DateTimeOffset now, bool payloadHeader = false)
    {
        var amzDate = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var payloadHash = Hex(SHA256.HashData(request.Payload.Span));
        var added = new List<KeyValuePair<string, string>> { new("x-amz-date", amzDate) };
        if (credentials.SessionToken is { } token)
            added.Add(new("x-amz-security-token", token));
        if (payloadHeader)
            added.Add(new("x-amz-content-sha256", payloadHash));
        var headers = Canonical([new("host", request.Host), .. request.Headers, .. added]);
        var signedHeaders = string.Join(';', headers.Keys);
        var scope = $"{amzDate[..8]}/{region}/{service}/aws4_request";
        var signature = Signature(request, headers, payloadHash, credentials.SecretAccessKey, amzDate, region, service);
        added.Add(new("Authorization", $"{Algorithm} Credential={credentials.AccessKeyId}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}"));
        return added;
    }

    /// <summary>The signature over <paramref name="headers"/> (already canonical: lower-case names, sorted, values trimmed).</summary>
    public static string Signature(
        SignableRequest request, SortedDictionary<string, string> headers, string payloadHash, string secret, string amzDate, string region, string service)
    {
        var canonical = CanonicalRequest(request, headers, payloadHash);
        var toSign = StringToSign(canonical, amzDate, region, service);
        return Hex(HMACSHA256.HashData(SigningKey(secret, amzDate[..8], region, service), Encoding.UTF8.GetBytes(toSign)));
    }

    public static string CanonicalRequest(SignableRequest request, SortedDictionary<string, string> headers, string payloadHash)
    {
        var text = new StringBuilder();
        text.Append(request.Method).Append('\n');
        text.Append(CanonicalUri(request.Path)).Append('\n');
        text.Append(CanonicalQuery(request.Query)).Append('\n');
        foreach (var (name, value) in headers)
            text.Append(name).Append(':').Append(value).Append('\n');
        text.Append('\n').Append(string.Join(';', headers.Keys)).Append('\n');
        text.Append(payloadHash);
        return text.ToString();
    }

    public static string StringToSign(string canonicalRequest, string amzDate, string region, string service) =>
        $"{Algorithm}\n{amzDate}\n{amzDate[..8]}/{region}/{service}/aws4_request\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";

    public static byte[] SigningKey(string secret, string date, string region, string service)
    {
        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secret), Encoding.UTF8.GetBytes(date));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(region));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(service));
        return HMACSHA256.HashData(key, "aws4_request"u8);
    }

    /// <summary>Lower-case names, sorted; values trimmed with inner runs of spaces collapsed; repeated names joined by commas.</summary>
    public static SortedDictionary<string, string> Canonical(IEnumerable<KeyValuePair<string, string>> headers)
    {
        var canonical = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in headers)
        {
            var key = name.ToLowerInvariant();
            var trimmed = string.Join(' ', value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries));
            canonical[key] = canonical.TryGetValue(key, out var earlier) ? earlier + "," + trimmed : trimmed;
        }
        return canonical;
    }

    /// <summary>Each segment of the path URI-encoded (every byte but A–Z, a–z, 0–9, '-', '.', '_', '~'); '/' kept.</summary>
    public static string CanonicalUri(string path) =>
        path.Length == 0 ? "/" : string.Join('/', path.Split('/').Select(segment => Encode(segment)));

    public static string CanonicalQuery(IReadOnlyList<KeyValuePair<string, string>> query) => string.Join('&', query
        .Select(p => (Name: Encode(p.Key), Value: Encode(p.Value)))
        .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
        .Select(p => p.Name + "=" + p.Value));

    public static string Encode(string text)
    {
        var encoded = new StringBuilder(text.Length);
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (b is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9'
                or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~')
                encoded.Append((char)b);
            else
                encoded.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return encoded.ToString();
    }

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);
}
