using ProxyAdapter.Translation.Azure;

namespace ProxyAdapter.Translation;

/// <summary>
/// The credential header each provider kind reads its API key from. Bedrock has no key: its calls are signed
/// (<see cref="Bedrock.BedrockAuth.Sign"/>) over the exact bytes sent, so the pipeline signs last.
/// </summary>
public static class ProviderAuth
{
    public static KeyValuePair<string, string> Header(string kind, string apiKey) => kind switch
    {
        TargetKinds.AzureOpenAi => AzureOpenAi.Auth(apiKey),
        TargetKinds.Anthropic => new("x-api-key", apiKey),
        TargetKinds.Gemini => new("x-goog-api-key", apiKey),
        TargetKinds.Bedrock => throw new ArgumentException("Bedrock calls are signed with SigV4, not sent a key.", nameof(kind)),
        _ => new("Authorization", "Bearer " + apiKey),
    };
}
