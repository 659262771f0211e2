namespace Governance.Domain.Catalog;

/// <summary>The APIs the gateway offers applications.</summary>
public enum GatewayApi
{
    ChatCompletions,
    Embeddings,
    Messages,
}

/// <summary>
/// Which provider kinds each API reaches, natively or through the proxy's translation layer: the "wired" column of
/// docs/providers.md's matrix, in one place. The proxy plans a call's routes with it; the catalog checks fallbacks with it,
/// so a fallback the operator sets is one a call to its model can actually reach.
/// </summary>
public static class GatewayApis
{
    private static readonly IReadOnlyDictionary<GatewayApi, string[]> Reach = new Dictionary<GatewayApi, string[]>
    {
        [GatewayApi.ChatCompletions] =
        [
            ProviderKinds.OpenAi, ProviderKinds.OpenAiCompatible, ProviderKinds.AzureOpenAi, ProviderKinds.Anthropic, ProviderKinds.Gemini,
            ProviderKinds.Bedrock,
        ],
        [GatewayApi.Embeddings] = [ProviderKinds.OpenAi, ProviderKinds.OpenAiCompatible, ProviderKinds.AzureOpenAi],
        [GatewayApi.Messages] =
        [
            ProviderKinds.Anthropic, ProviderKinds.OpenAi, ProviderKinds.OpenAiCompatible, ProviderKinds.AzureOpenAi, ProviderKinds.Gemini,
            ProviderKinds.Bedrock,
        ],
    };

    /// <summary>Whether a call through <paramref name="api"/> can be served by a provider of <paramref name="kind"/>.</summary>
    public static bool Reaches(GatewayApi api, string kind) => Reach[api].Contains(kind);

    /// <summary>
    /// The APIs through which a call to a model served by <paramref name="modelKinds"/> could fall back to one served by
    /// <paramref name="fallbackKinds"/>: each reaches a kind of both. Empty when no call to the model could ever reach the fallback.
    /// </summary>
    public static IReadOnlyList<GatewayApi> Sharing(IEnumerable<string> modelKinds, IEnumerable<string> fallbackKinds) =>
        Enum.GetValues<GatewayApi>()
            .Where(api => modelKinds.Any(k => Reaches(api, k)) && fallbackKinds.Any(k => Reaches(api, k)))
            .ToList();
}
