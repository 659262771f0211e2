using System.Text.Json;

namespace ProxyAdapter.Translation.Chat;

/// <summary>OpenAI's (and Azure's) error body, <c>{"error":{"message","type","param","code"}}</c>, as a <see cref="ProviderError"/>.</summary>
public static class OpenAiErrorReader
{
    public static ProviderError Read(int status, JsonElement body)
    {
        Decoding.TryObject(body, "error", out var error);
        status = ErrorTypes.Normalize(status);
        var code = Decoding.String(error, "code") ?? (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("code", out var c)
            && c.ValueKind == JsonValueKind.Number ? c.GetRawText() : null);
        return new ProviderError(status, Decoding.String(error, "type") ?? ErrorTypes.OpenAi(status), code,
            Decoding.String(error, "message") ?? $"The provider answered {status}.");
    }
}
