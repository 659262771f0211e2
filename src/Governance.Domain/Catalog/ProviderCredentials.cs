using System.Text.Json;
using System.Text.Json.Serialization;
using Governance.Domain.Secrets;

namespace Governance.Domain.Catalog;

/// <summary>
/// What a provider kind needs besides its base URL and credential: Azure OpenAI's <see cref="ApiVersion"/> (absent: Azure's
/// v1 API), Bedrock's AWS <see cref="Region"/> (its SigV4 scope). Not secret.
/// </summary>
public sealed record ProviderSettings(string? ApiVersion = null, string? Region = null)
{
    public static readonly ProviderSettings None = new();
}

/// <summary>
/// An AWS access key pair (and, for temporary credentials, the session token) that signs Bedrock calls. Travels and rests
/// only inside one encrypted provider secret (<see cref="ProviderSecret"/>).
/// </summary>
public sealed record AwsKeys(
    [property: JsonPropertyName("accessKeyId")] string AccessKeyId,
    [property: JsonPropertyName("secretAccessKey")] string SecretAccessKey,
    [property: JsonPropertyName("sessionToken"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SessionToken = null)
{
    // A record's generated ToString would print the secret into any log line that formats it.
    public override string ToString() => $"AwsKeys {{ AccessKeyId = {AccessKeyId} }}";
}

/// <summary>
/// A provider's secret as one string, encrypted as one (<c>v2:&lt;keyid&gt;:…</c>, bound to the provider's name and base
/// URL): the API key itself for key-based kinds; for <c>bedrock</c> the JSON of its <see cref="AwsKeys"/>. The
/// fingerprints a leak is matched by are taken from its parts: the key; for Bedrock the secret access key and the access
/// key id (the scanner finds ids with high confidence, secrets only next to their variable name).
/// </summary>
public static class ProviderSecret
{
    /// <summary>The kinds whose secret is structured rather than one API key.</summary>
    public static bool IsStructured(string kind) => kind == ProviderKinds.Bedrock;

    public static string Of(AwsKeys keys) => JsonSerializer.Serialize(keys);

    /// <summary>Bedrock's keys from a decrypted secret; null when it is not their JSON (a key registered under another kind).</summary>
    public static AwsKeys? Aws(string secret)
    {
        try
        {
            return JsonSerializer.Deserialize<AwsKeys>(secret) is { AccessKeyId.Length: > 0, SecretAccessKey.Length: > 0 } keys ? keys : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The fingerprint recorded for the provider (<see cref="Provider.KeyFingerprint"/>) and, for Bedrock, the access key
    /// id's (<see cref="Provider.KeyIdFingerprint"/>).
    /// </summary>
    public static (string Key, string? KeyId) Fingerprints(string kind, string secret) =>
        IsStructured(kind) && Aws(secret) is { } keys
            ? (SecretFingerprint.Of(keys.SecretAccessKey), SecretFingerprint.Of(keys.AccessKeyId))
            : (SecretFingerprint.Of(secret), null);
}
