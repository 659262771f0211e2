using System.Text;
using System.Text.Json.Nodes;
using Governance.Tests.Integration.Proxy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Governance.Tests.Integration.Providers;

/// <summary>
/// Anthropic's Messages API (POST /v1/messages), as its API reference documents it: the key in <c>x-api-key</c> (or <c>Authorization: Bearer</c>), the
/// <c>anthropic-version</c> header required, <c>max_tokens</c> required; an answer with text (and a <c>tool_use</c> block
/// when a tool is forced); with <c>stream: true</c> the event sequence message_start, content_block_start/delta/stop, ping,
/// message_delta, message_stop. Model <c>overloaded</c> answers 529; model <c>error-mid-stream</c> sends an error event.
/// </summary>
public sealed class AnthropicStandIn(string apiKey) : StandIn
{
    public const string Text = "Hello from Claude.";

    /// <summary>
    /// Registers this stand-in as an <c>anthropic</c> provider, a Claude model on it priced at $3 in, $15 out, $0.30 cached per
    /// million, and a key of a new app for that model.
    /// </summary>
    public async Task<(string Model, Api.Issued Key)> ClaudeModelAsync(GovernanceFixture fx, string upstreamModel = "claude-sonnet-4-5")
    {
        var name = Api.Unique("anthropic");
        await fx.Api.Post("/api/providers", new { name, kind = "anthropic", baseUrl = BaseUrl + "/v1", apiKey }, 201);
        var model = await fx.Model([new(name, upstreamModel)], inputPrice: 3m, outputPrice: 15m, cachedPrice: 0.3m);
        return (model, await fx.IssueKey(Api.Unique("app"), model));
    }

    protected override void Map(WebApplication app) => app.MapPost("/v1/messages", async (HttpContext http) =>
    {
        var call = await Record(http);
        // The key comes in x-api-key, or (as Anthropic's .NET SDK 13 sends it) as a bearer token.
        if (http.Request.Headers["x-api-key"] != apiKey && http.Request.Headers.Authorization != "Bearer " + apiKey)
        {
            await Error(http, 401, "authentication_error", "invalid x-api-key");
            return;
        }
        if (string.IsNullOrEmpty(http.Request.Headers["anthropic-version"]))
        {
            await Error(http, 400, "invalid_request_error", "anthropic-version: header is required");
            return;
        }
        var body = JsonNode.Parse(call.Body)!.AsObject();
        if (body["max_tokens"] is null)
        {
            await Error(http, 400, "invalid_request_error", "max_tokens: Field required");
            return;
        }
        var model = (string)body["model"]!;
        if (model == "overloaded")
        {
            await Error(http, 529, "overloaded_error", "Overloaded");
            return;
        }
        var tool = ForcedTool(body);
        if (body["stream"]?.GetValue<bool>() == true)
            await Stream(http, "text/event-stream", Events(model, tool).Select(Encoding.UTF8.GetBytes));
        else
            await Json(http, 200, Message(model, tool), ("request-id", "req_standin"));
    });

    private static string? ForcedTool(JsonObject body) => body["tool_choice"]?["type"]?.GetValue<string>() switch
    {
        "tool" => (string?)body["tool_choice"]!["name"],
        "any" => (string?)body["tools"]![0]!["name"],
        _ => null,
    };

    private static string Message(string model, string? tool)
    {
        var block = tool is null
            ? $$$$$$"""{"type":"text","text":"{{{{{{Text}}}}}}"}"""
            : $$$$$$"""{"type":"tool_use","id":"toolu_standin","name":"{{{{{{tool}}}}}}","input":{"city":"Paris"}}""";
        var stop = tool is null ? "end_turn" : "tool_use";
        return $$$$$$"""
            {"id":"msg_standin","type":"message","role":"assistant","model":"{{{{{{model}}}}}}","content":[{{{{{{block}}}}}}],
             "stop_reason":"{{{{{{stop}}}}}}","stop_sequence":null,
             "usage":{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":3,"output_tokens":6}}
            """;
    }

    private static IEnumerable<string> Events(string model, string? tool)
    {
        static string E(string name, string data) => $"event: {name}\ndata: {data}\n\n";
        yield return E("message_start", $$$$$$"""{"type":"message_start","message":{"id":"msg_standin","type":"message","role":"assistant","model":"{{{{{{model}}}}}}","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":3,"output_tokens":1}}}""");
        if (tool is null)
        {
            yield return E("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}""");
            yield return E("ping", """{"type": "ping"}""");
            yield return E("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello from "}}""");
            if (model == "error-mid-stream")
            {
                yield return E("error", """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""");
                yield break;
            }
            yield return E("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Claude."}}""");
        }
        else
        {
            yield return E("content_block_start", $$$$$$"""{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_standin","name":"{{{{{{tool}}}}}}","input":{}}}""");
            yield return E("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"city\": "}}""");
            yield return E("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"\"Paris\"}"}}""");
        }
        yield return E("content_block_stop", """{"type":"content_block_stop","index":0}""");
        yield return E("message_delta", $$$$$$"""{"type":"message_delta","delta":{"stop_reason":"{{{{{{(tool is null ? "end_turn" : "tool_use")}}}}}}","stop_sequence":null},"usage":{"output_tokens":6}}""");
        yield return E("message_stop", """{"type":"message_stop"}""");
    }

    private static Task Error(HttpContext http, int status, string type, string message) =>
        Json(http, status, $$$$$$"""{"type":"error","error":{"type":"{{{{{{type}}}}}}","message":"{{{{{{message}}}}}}"},"request_id":"req_standin"}""");
}
