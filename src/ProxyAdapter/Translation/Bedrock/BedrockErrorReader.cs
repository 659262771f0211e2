using System.Text.Json;

namespace ProxyAdapter.Translation.Bedrock;

/// <summary>
/// Bedrock's errors: an HTTP status with <c>{"message": …}</c> (the exception's name in the <c>x-amzn-ErrorType</c> header), or,
/// mid-stream, an event-stream message of type <c>exception</c> whose <c>:exception-type</c> header names it.
/// </summary>
public static class BedrockErrorReader
{
    public static ProviderError Read(int status, JsonElement body, string? exception = null)
    {
        status = ErrorTypes.Normalize(status);
        var message = Decoding.String(body, "message") ?? Decoding.String(body, "Message") ?? $"The provider answered {status}.";
        return new ProviderError(status, ErrorTypes.OpenAi(status), exception, message);
    }

    /// <summary>The status an exception stands for (AWS's documented status for each of Bedrock runtime's exceptions).</summary>
    public static int StatusOf(string? exception) => exception switch
    {
        "validationException" or "ValidationException" => 400,
        "accessDeniedException" or "AccessDeniedException" => 403,
        "resourceNotFoundException" or "ResourceNotFoundException" => 404,
        "throttlingException" or "ThrottlingException" => 429,
        "modelTimeoutException" or "ModelTimeoutException" => 408,
        "serviceUnavailableException" or "ServiceUnavailableException" => 503,
        "modelStreamErrorException" or "ModelStreamErrorException" => 424,
        _ => 500,
    };
}
