using System.Text;

namespace ProxyAdapter.Translation.Bedrock;

/// <summary>
/// Signs a Converse call for <c>bedrock-runtime.{region}.amazonaws.com</c> with SigV4 (service <c>bedrock</c>). The path is the
/// one sent on the wire (the model id percent-encoded once, as <see cref="Translator"/> builds it); SigV4 encodes it once more.
/// </summary>
public static class BedrockAuth
{
    public const string Service = "bedrock";

    public static string Host(string region) => $"bedrock-runtime.{region}.amazonaws.com";

    /// <summary>The headers to add to the call: <c>x-amz-date</c>, the session token when there is one, and <c>Authorization</c>.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Sign(
        string path, ReadOnlyMemory<byte> body, AwsCredentials credentials, string region, DateTimeOffset now)
    {
        var request = new SignableRequest("POST", Host(region), path, [], [new("content-type", "application/json")], body);
        return SigV4.Sign(request, credentials, region, Service, now);
    }

    /// <summary>The body as sent: the signature covers these exact bytes.</summary>
    public static byte[] Bytes(System.Text.Json.Nodes.JsonObject body) => Encoding.UTF8.GetBytes(body.ToJsonString());
}
