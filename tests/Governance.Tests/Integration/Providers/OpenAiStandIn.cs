using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Governance.Tests.Integration.Providers;

/// <summary>
/// OpenAI's Chat Completions API (POST /v1/chat/completions), as its API reference documents it: the key as
/// <c>Authorization: Bearer</c> (else 401 <c>invalid_api_key</c>); an answer with text, or with <c>tool_calls</c> when the
/// request offers tools and the conversation does not end with a tool result; with <c>stream: true</c> chunks with the role
/// first, content (or tool-call) deltas, the finish, the usage chunk only when <c>stream_options.include_usage</c>, then
/// <c>[DONE]</c>. By upstream model: <c>missing</c> answers 404 <c>model_not_found</c>, <c>unavailable</c> 503,
/// <c>error-mid-stream</c> sends an error event after its first content chunk, <c>gated</c> waits after its first content
/// chunk until <see cref="Release"/> (and notes in <see cref="Cancelled"/> that its caller went away).
/// </summary>
public sealed class OpenAiStandIn(string apiKey) : StandIn
{
    public const string Text = "Hello from GPT.";
    public const string AfterTool = "It is sunny in Paris.";
    public const int PromptTokens = 20, CachedTokens = 5, CompletionTokens = 8;

    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _release.TrySetResult();

    protected override void Map(WebApplication app) => app.MapPost("/v1/chat/completions", async (HttpContext http) =>
    {
        var call = await Record(http);
        if (http.Request.Headers.Authorization != "Bearer " + apiKey)
        {
            await Error(http, 401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided.");
            return;
        }
        var body = JsonNode.Parse(call.Body)!.AsObject();
        var model = (string)body["model"]!;
        if (model == "missing")
        {
            await Error(http, 404, "invalid_request_error", "model_not_found", "The model `missing` does not exist or you do not have access to it.");
            return;
        }
        if (model == "unavailable")
        {
            await Error(http, 503, "server_error", null, "The server is overloaded or not ready yet.");
            return;
        }
        var tool = ToolToCall(body);
        var text = body["messages"]!.AsArray().LastOrDefault()?["role"]?.GetValue<string>() == "tool" ? AfterTool : Text;
        if (body["stream"]?.GetValue<bool>() == true)
            await StreamAsync(http, model, tool, text, body["stream_options"]?["include_usage"]?.GetValue<bool>() == true);
        else
            await Json(http, 200, Completion(model, tool, text), ("x-request-id", "req_openai_standin"));
    });

    /// <summary>The tool the model "decides" to call: the first one offered, unless the conversation already holds its result.</summary>
    private static string? ToolToCall(JsonObject body) =>
        body["tools"] is JsonArray { Count: > 0 } tools && body["messages"]!.AsArray().LastOrDefault()?["role"]?.GetValue<string>() != "tool"
            ? (string?)tools[0]!["function"]!["name"]
            : null;

    private const string Usage = """{"prompt_tokens":20,"completion_tokens":8,"total_tokens":28,"prompt_tokens_details":{"cached_tokens":5,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}""";

    private static string Completion(string model, string? tool, string text)
    {
        var message = tool is null
            ? $$$$"""{"role":"assistant","content":"{{{{text}}}}","refusal":null,"annotations":[]}"""
            : $$$$"""{"role":"assistant","content":null,"refusal":null,"annotations":[],"tool_calls":[{"id":"call_standin","type":"function","function":{"name":"{{{{tool}}}}","arguments":"{\"city\":\"Paris\"}"}}]}""";
        return $$$$"""
            {"id":"chatcmpl-standin","object":"chat.completion","created":1764000000,"model":"{{{{model}}}}",
             "choices":[{"index":0,"message":{{{{message}}}},"logprobs":null,"finish_reason":"{{{{(tool is null ? "stop" : "tool_calls")}}}}"}],
             "usage":{{{{Usage}}}},"service_tier":"default","system_fingerprint":"fp_standin"}
            """;
    }

    private async Task StreamAsync(HttpContext http, string model, string? tool, string text, bool includeUsage)
    {
        string Chunk(string delta, string finish) =>
            $$$$"""data: {"id":"chatcmpl-standin","object":"chat.completion.chunk","created":1764000000,"model":"{{{{model}}}}","system_fingerprint":"fp_standin","choices":[{"index":0,"delta":{{{{delta}}}},"logprobs":null,"finish_reason":{{{{finish}}}}}]{{{{(includeUsage ? ",\"usage\":null" : "")}}}}}""" + "\n\n";
        var words = text.Split(' ');
        var events = new List<string> { Chunk("""{"role":"assistant","content":"","refusal":null}""", "null") };
        if (tool is null)
            events.AddRange(words.Select((w, i) => Chunk($$$"""{"content":"{{{(i == 0 ? w : " " + w)}}}"}""", "null")));
        else
        {
            events.Add(Chunk($$$"""{"tool_calls":[{"index":0,"id":"call_standin","type":"function","function":{"name":"{{{tool}}}","arguments":""}}]}""", "null"));
            events.Add(Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}""", "null"));
            events.Add(Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]}""", "null"));
        }
        events.Add(Chunk("{}", tool is null ? "\"stop\"" : "\"tool_calls\""));
        if (includeUsage)
            events.Add($$$$"""data: {"id":"chatcmpl-standin","object":"chat.completion.chunk","created":1764000000,"model":"{{{{model}}}}","system_fingerprint":"fp_standin","choices":[],"usage":{{{{Usage}}}}}""" + "\n\n");
        events.Add("data: [DONE]\n\n");
        if (model == "error-mid-stream")
            events = [events[0], events[1], """data: {"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}""" + "\n\n"];

        http.Response.StatusCode = 200;
        http.Response.ContentType = "text/event-stream; charset=utf-8";
        try
        {
            for (var i = 0; i < events.Count; i++)
            {
                // Event 0 is the role chunk, event 1 the first content: a gated stream waits after it.
                if (model == "gated" && i == 2)
                    await _release.Task.WaitAsync(http.RequestAborted);
                await http.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(events[i]), http.RequestAborted);
                await http.Response.Body.FlushAsync(http.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
            Cancelled.TrySetResult();
        }
    }

    private static Task Error(HttpContext http, int status, string type, string? code, string message) =>
        Json(http, status, $$$$"""{"error":{"message":"{{{{message}}}}","type":"{{{{type}}}}","param":null,"code":{{{{(code is null ? "null" : $"\"{code}\"")}}}}}}""");
}
