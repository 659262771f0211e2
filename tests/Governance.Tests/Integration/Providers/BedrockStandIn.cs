using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using ProxyAdapter.Translation.Bedrock;

namespace Governance.Tests.Integration.Providers;

/// <summary>
/// AWS Bedrock's runtime (<c>POST /model/{modelId}/converse</c> and <c>/converse-stream</c>), as AWS documents it: every call
/// SigV4-signed (service <c>bedrock</c>), the signature checked here over the raw path, the signed headers and the body's
/// bytes (a mismatch is 403 InvalidSignatureException, named in <c>x-amzn-ErrorType</c>); ConverseStream answers in
/// <c>application/vnd.amazon.eventstream</c> frames with both CRCs. Model <c>throttled-mid-stream</c> sends a
/// throttlingException frame after the first text; <c>throttled</c> is a 429 ThrottlingException; a model named
/// <c>…cache…</c> reports cache writes.
/// </summary>
public sealed class BedrockStandIn(AwsCredentials credentials, string region) : StandIn
{
    protected override void Map(WebApplication app) => app.MapPost("/model/{modelId}/{operation}", async (HttpContext http, string modelId, string operation) =>
    {
        var call = await Record(http);
        if (SignatureProblem(call) is { } problem)
        {
            await Json(http, 403, $$$$$$"""{"message":"{{{{{{problem}}}}}}"}""",
                ("x-amzn-ErrorType", "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/"));
            return;
        }
        var body = JsonNode.Parse(call.Body)!.AsObject();
        if (body["messages"] is not JsonArray { Count: > 0 })
        {
            await Json(http, 400, """{"message":"1 validation error detected: Value at 'messages' failed to satisfy constraint"}""",
                ("x-amzn-ErrorType", "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"));
            return;
        }
        if (modelId == "throttled")
        {
            await Json(http, 429, """{"message":"Too many requests, please wait before trying again."}""",
                ("x-amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"));
            return;
        }
        var forced = (string?)body["toolConfig"]?["toolChoice"]?["tool"]?["name"];
        // A model named "…cache…" wrote 4 prompt tokens to Bedrock's prompt cache besides reading 2.
        var cacheWrite = modelId.Contains("cache", StringComparison.Ordinal) ? ",\"cacheWriteInputTokens\":4" : "";
        switch (operation)
        {
            case "converse":
                var content = forced is null ? """{"text":"Hello from Bedrock."}""" : $$$$$$"""{"toolUse":{"toolUseId":"tooluse_standin","name":"{{{{{{forced}}}}}}","input":{"city":"Paris"}}}""";
                await Json(http, 200, $$$$$$"""
                    {"output":{"message":{"role":"assistant","content":[{{{{{{content}}}}}}]}},"stopReason":"{{{{{{(forced is null ? "end_turn" : "tool_use")}}}}}}",
                     "usage":{"inputTokens":10,"outputTokens":5,"totalTokens":17,"cacheReadInputTokens":2{{{{{{cacheWrite}}}}}}},"metrics":{"latencyMs":42}}
                    """);
                break;
            case "converse-stream":
                await Stream(http, "application/vnd.amazon.eventstream", Frames(modelId));
                break;
            default:
                await Json(http, 404, """{"message":"Unknown operation"}""", ("x-amzn-ErrorType", "UnknownOperationException"));
                break;
        }
    });

    private static IEnumerable<byte[]> Frames(string modelId)
    {
        yield return Frame("messageStart", """{"role":"assistant"}""");
        yield return Frame("contentBlockDelta", """{"contentBlockIndex":0,"delta":{"text":"Hello from "},"p":"abcdefghijkl"}""");
        if (modelId == "throttled-mid-stream")
        {
            yield return EventStream.Encode(
                [EventHeader.Text(":exception-type", "throttlingException"), EventHeader.Text(":content-type", "application/json"), EventHeader.Text(":message-type", "exception")],
                """{"message":"Too many requests, please wait before trying again."}"""u8);
            yield break;
        }
        yield return Frame("contentBlockDelta", """{"contentBlockIndex":0,"delta":{"text":"Bedrock."},"p":"abcdefghijk"}""");
        yield return Frame("contentBlockStop", """{"contentBlockIndex":0,"p":"abcdefghijklmnop"}""");
        yield return Frame("messageStop", """{"stopReason":"end_turn","p":"abcdefg"}""");
        yield return Frame("metadata", """{"usage":{"inputTokens":10,"outputTokens":5,"totalTokens":15},"metrics":{"latencyMs":42},"p":"abc"}""");
    }

    // Bedrock pads each event with a "p" field of random length so sizes leak nothing; the decoder must ignore it.
    private static byte[] Frame(string type, string payload) => EventStream.Encode(
        [EventHeader.Text(":event-type", type), EventHeader.Text(":content-type", "application/json"), EventHeader.Text(":message-type", "event")],
        Encoding.UTF8.GetBytes(payload));

    /// <summary>Recomputes the signature from what arrived; null when it matches.</summary>
    private string? SignatureProblem(ReceivedCall call)
    {
        if (!call.Headers.TryGetValue("authorization", out var authorization) || !call.Headers.TryGetValue("x-amz-date", out var amzDate))
            return "Missing Authentication Token";
        var fields = authorization[(SigV4.Algorithm.Length + 1)..].Split(", ").Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f[1]);
        var scope = fields["Credential"].Split('/');
        if (scope[0] != credentials.AccessKeyId)
            return "The security token included in the request is invalid.";
        if (scope[2] != region || scope[3] != BedrockAuth.Service)
            return "Credential should be scoped to a valid region and service.";
        var signed = fields["SignedHeaders"].Split(';');
        if (!signed.Contains("host") || !signed.Contains("x-amz-date"))
            return "Host and x-amz-date must be signed.";
        if (credentials.SessionToken is { } token && (!call.Headers.TryGetValue("x-amz-security-token", out var sent) || sent != token || !signed.Contains("x-amz-security-token")))
            return "The security token included in the request is invalid.";
        var headers = SigV4.Canonical(signed.Select(name => new KeyValuePair<string, string>(name, call.Headers.GetValueOrDefault(name, ""))));
        var path = call.Target.Split('?')[0];
        // The canonical URI is the path as sent (the model id already percent-encoded), encoded once more.
        var request = new SignableRequest(call.Method, call.Headers["host"], path, [], [], call.Body);
        var expected = SigV4.Signature(request, headers, SigV4.Hex(SHA256.HashData(call.Body)), credentials.SecretAccessKey, amzDate, region, BedrockAuth.Service);
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(fields["Signature"]))
            ? null
            : "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.";
    }
}
