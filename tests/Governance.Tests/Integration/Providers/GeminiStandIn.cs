using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Governance.Tests.Integration.Providers;

/// <summary>
/// Google's Gemini API (<c>POST /v1beta/models/{model}:generateContent</c> and <c>:streamGenerateContent</c>), as its
/// reference documents it: the key in <c>x-goog-api-key</c> (missing: 403 PERMISSION_DENIED; wrong: 400 INVALID_ARGUMENT);
/// <c>alt=sse</c> streams server-sent events separated by CRLF pairs, each a whole GenerateContentResponse; without it the
/// stream is one JSON array. A function declaration forced with mode ANY is called. Model <c>exhausted</c> is a 429
/// RESOURCE_EXHAUSTED; <c>fails-mid-stream</c> streams an error event after the first text; a model named <c>…cached…</c>
/// reports cached prompt tokens.
/// </summary>
public sealed class GeminiStandIn(string apiKey) : StandIn
{
    protected override void Map(WebApplication app) => app.MapPost("/v1beta/models/{*rest}", async (HttpContext http, string rest) =>
    {
        var call = await Record(http);
        var key = http.Request.Headers["x-goog-api-key"].ToString();
        if (key.Length == 0)
        {
            await Error(http, 403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers (callers without established identity).");
            return;
        }
        if (key != apiKey)
        {
            await Error(http, 400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.");
            return;
        }
        var colon = rest.LastIndexOf(':');
        var (model, method) = colon < 0 ? (rest, "") : (rest[..colon], rest[(colon + 1)..]);
        var body = JsonNode.Parse(call.Body)!.AsObject();
        var forced = (string?)body["toolConfig"]?["functionCallingConfig"]?["mode"] == "ANY"
            ? (string?)body["tools"]![0]!["functionDeclarations"]![0]!["name"] : null;
        if (model == "exhausted")
        {
            await Error(http, 429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).");
            return;
        }
        switch (method)
        {
            case "generateContent":
                await Json(http, 200, Response(model, forced is null ? """{"text":"Hello from Gemini."}""" : Call(forced), "STOP", final: true));
                break;
            case "streamGenerateContent":
                var pieces = new[]
                {
                    Response(model, """{"text":"Hello from "}""", null, final: false),
                    // Model fails-mid-stream: Google's error object arrives as the next event, and the stream ends.
                    model == "fails-mid-stream"
                        ? """{"error":{"code":500,"message":"An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting","status":"INTERNAL"}}"""
                        : Response(model, forced is null ? """{"text":"Gemini."}""" : Call(forced), "STOP", final: true),
                };
                if (http.Request.Query["alt"] == "sse")
                    await Stream(http, "text/event-stream", pieces.Select(p => Encoding.UTF8.GetBytes($"data: {p}\r\n\r\n")));
                else
                    await Json(http, 200, "[" + string.Join(",\r\n", pieces) + "]");
                break;
            default:
                await Error(http, 404, "NOT_FOUND", $"Method {method} not found.");
                break;
        }
    });

    private static string Call(string name) => $$$$$$"""{"functionCall":{"name":"{{{{{{name}}}}}}","args":{"city":"Paris"}}}""";

    private static string Response(string model, string part, string? finish, bool final)
    {
        var reason = finish is null ? "" : $",\"finishReason\":\"{finish}\"";
        var usage = final ? "\"promptTokenCount\":11,\"candidatesTokenCount\":5,\"thoughtsTokenCount\":4,\"totalTokenCount\":20" : "\"promptTokenCount\":11,\"totalTokenCount\":11";
        // A model named "…cached…" read 3 of its prompt tokens from Gemini's context cache.
        if (final && model.Contains("cached", StringComparison.Ordinal))
            usage += ",\"cachedContentTokenCount\":3";
        return $$$$$$"""{"candidates":[{"content":{"parts":[{{{{{{part}}}}}}],"role":"model"}{{{{{{reason}}}}}},"index":0}],"usageMetadata":{{{{{{{usage}}}}}}},"modelVersion":"{{{{{{model}}}}}}","responseId":"standin"}""";
    }

    private static Task Error(HttpContext http, int code, string status, string message) =>
        Json(http, code, $$$$$$"""{"error":{"code":{{{{{{code}}}}}},"message":"{{{{{{message}}}}}}","status":"{{{{{{status}}}}}}"}}""");
}
