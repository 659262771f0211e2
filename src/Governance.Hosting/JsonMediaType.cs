using Microsoft.Net.Http.Headers;

namespace Governance.Hosting;

/// <summary>What the API and the proxy read as a JSON body: no Content-Type, <c>application/json</c>, <c>text/json</c> or <c>…+json</c>.</summary>
public static class JsonMediaType
{
    public static bool IsJson(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
            return true;
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media))
            return false;
        var type = media.MediaType.Value ?? "";
        return type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || type.Equals("text/json", StringComparison.OrdinalIgnoreCase)
            || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }
}
