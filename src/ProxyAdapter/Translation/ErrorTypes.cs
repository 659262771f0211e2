namespace ProxyAdapter.Translation;

/// <summary>The error <c>type</c> each API gives a status, the same words the gateway's own refusals use (Errors.cs).</summary>
public static class ErrorTypes
{
    public static string OpenAi(int status) => status switch
    {
        429 => "rate_limit_exceeded",
        403 => "permission_error",
        < 500 => "invalid_request_error",
        _ => "api_error",
    };

    public static string Anthropic(int status) => status switch
    {
        400 or 422 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 or 529 => "overloaded_error",
        _ => "api_error",
    };

    /// <summary>A status a client's SDK understands: Anthropic's 529 (overloaded) is 503 elsewhere; anything odd is 502.</summary>
    public static int Normalize(int status) => status switch
    {
        529 => 503,
        >= 400 and <= 599 => status,
        _ => 502,
    };
}
