using System.Text.Json;

namespace ProxyAdapter.Translation.Anthropic;

/// <summary>Anthropic's error body, <c>{"type":"error","error":{"type","message"}}</c>, as a <see cref="ProviderError"/>.</summary>
public static class AnthropicErrorReader
{
    public static ProviderError Read(int status, JsonElement body)
    {
        Decoding.TryObject(body, "error", out var error);
        var type = Decoding.String(error, "type");
        // A streamed error carries no status of its own: its type says what it would have been.
        if (status == 529 && type is not null)
            status = type switch
            {
                "invalid_request_error" => 400,
                "authentication_error" => 401,
                "permission_error" => 403,
                "not_found_error" => 404,
                "request_too_large" => 413,
                "rate_limit_error" => 429,
                "api_error" => 500,
                _ => 529,
            };
        status = ErrorTypes.Normalize(status);
        return new ProviderError(status, ErrorTypes.OpenAi(status), type, Decoding.String(error, "message") ?? $"The provider answered {status}.");
    }
}
