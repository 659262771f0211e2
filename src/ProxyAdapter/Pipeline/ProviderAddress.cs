using Governance.Domain.Catalog;
using ProxyAdapter.Routing;
using ProxyAdapter.Surfaces;
using ProxyAdapter.Translation;
using ProxyAdapter.Translation.Azure;
using ProxyAdapter.Translation.Bedrock;

namespace ProxyAdapter.Pipeline;

/// <summary>
/// Where and how one attempt reaches its provider, by the provider's kind: the translation layer's
/// <see cref="ModelTarget"/> (Azure's api-version, Bedrock's region from the provider's settings), the path of a call passed
/// through (Azure OpenAI's deployment or v1 address), and the credential headers (a key header, or Bedrock's SigV4
/// signature over the exact bytes sent).
/// </summary>
public static class ProviderAddress
{
    public static ModelTarget Target(PlannedRoute route) => new(route.Provider.Kind, route.Deployment.UpstreamModel)
    {
        AzureApiVersion = route.Provider.Settings.ApiVersion,
        AwsRegion = route.Provider.Settings.Region,
    };

    /// <summary>The path of a call in the client's own API: OpenAI's, or Azure's address for the same operation.</summary>
    public static string PassthroughPath(Surface surface, PlannedRoute route) =>
        route.Provider.Kind == ProviderKinds.AzureOpenAi ? AzureOpenAi.Path(Target(route), surface.UpstreamPath.TrimStart('/')) : surface.UpstreamPath;

    /// <summary>
    /// The credential headers of a call to <paramref name="url"/> whose body is <paramref name="body"/>: the kind's key header,
    /// or for Bedrock the SigV4 headers (signed for the URL's host and path, now); null when the secret is not of the kind's form.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>>? Credentials(string kind, string secret, Uri url, string? region, byte[] body, DateTimeOffset now)
    {
        if (kind != ProviderKinds.Bedrock)
            return [ProviderAuth.Header(kind, secret)];
        if (ProviderSecret.Aws(secret) is not { } keys || region is null)
            return null;
        var signable = new SignableRequest("POST", url.Authority, url.AbsolutePath, [], [new("content-type", "application/json")], body);
        return SigV4.Sign(signable, new AwsCredentials(keys.AccessKeyId, keys.SecretAccessKey, keys.SessionToken), region, BedrockAuth.Service, now);
    }

    /// <summary>The media type of the kind's streamed answers: AWS's event stream for Bedrock, server-sent events for the rest.</summary>
    public static string StreamMediaType(string kind) => kind == ProviderKinds.Bedrock ? "application/vnd.amazon.eventstream" : "text/event-stream";
}
