using System.Text.Json;

namespace ProxyAdapter.Translation.Gemini;

/// <summary>Google's error body, <c>{"error":{"code","message","status"}}</c>; the code is the gRPC status (INVALID_ARGUMENT, …).</summary>
public static class GeminiErrorReader
{
    public static ProviderError Read(int status, JsonElement body)
    {
        Decoding.TryObject(body, "error", out var error);
        var code = Decoding.String(error, "status");
        if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("code", out var c) && c.TryGetInt32(out var http) && http is >= 400 and <= 599)
            status = http;
        status = ErrorTypes.Normalize(status);
        return new ProviderError(status, ErrorTypes.OpenAi(status), code, Decoding.String(error, "message") ?? $"The provider answered {status}.");
    }
}
