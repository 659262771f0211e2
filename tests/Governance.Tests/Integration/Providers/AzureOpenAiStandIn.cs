using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Governance.Tests.Integration.Providers;

/// <summary>
/// Azure OpenAI, as Microsoft documents it: <c>POST /openai/deployments/{deployment}/chat/completions?api-version=…</c>
/// (api-version required) and the v1 API <c>POST /openai/v1/chat/completions</c> (the deployment in <c>model</c>); the key in
/// <c>api-key</c> (else 401); an unknown deployment is 404 DeploymentNotFound. Answers carry Azure's content-filter results,
/// and a stream opens with Azure's prompt-filter chunk whose <c>choices</c> are empty. Embeddings at the deployment
/// address; deployment <c>throttled</c> is Azure's 429 with <c>retry-after</c>.
/// </summary>
public sealed class AzureOpenAiStandIn(string apiKey, string deployment) : StandIn
{
    protected override void Map(WebApplication app)
    {
        app.MapPost("/openai/deployments/{name}/chat/completions", async (HttpContext http, string name) =>
        {
            var call = await Record(http);
            if (string.IsNullOrEmpty(http.Request.Query["api-version"]))
                await Json(http, 404, """{"error":{"code":"404","message":"Resource not found"}}""");
            else
                await Answer(http, call, name);
        });
        app.MapPost("/openai/v1/chat/completions", async (HttpContext http) =>
        {
            var call = await Record(http);
            await Answer(http, call, (string?)JsonNode.Parse(call.Body)?["model"] ?? "");
        });
        app.MapPost("/openai/deployments/{name}/embeddings", async (HttpContext http, string name) =>
        {
            var call = await Record(http);
            if (string.IsNullOrEmpty(http.Request.Query["api-version"]))
                await Json(http, 404, """{"error":{"code":"404","message":"Resource not found"}}""");
            else if (http.Request.Headers["api-key"] != apiKey)
                await Json(http, 401, """{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint."}}""");
            else if (name != deployment)
                await Json(http, 404, """{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}""");
            else
                await Json(http, 200, """{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.25,-0.5]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":7,"total_tokens":7}}""");
        });
    }

    private async Task Answer(HttpContext http, ReceivedCall call, string name)
    {
        if (http.Request.Headers["api-key"] != apiKey)
        {
            await Json(http, 401, """{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}""");
            return;
        }
        if (name == "throttled")
        {
            await Json(http, 429, """{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 1 second."}}""", ("retry-after", "1"));
            return;
        }
        if (name != deployment)
        {
            await Json(http, 404, """{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."}}""");
            return;
        }
        var body = JsonNode.Parse(call.Body)!.AsObject();
        const string Filter = """{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}""";
        if (body["stream"]?.GetValue<bool>() != true)
        {
            await Json(http, 200, $$$$$$"""
                {"id":"chatcmpl-azure","object":"chat.completion","created":1764000000,"model":"gpt-4o-2024-11-20",
                 "prompt_filter_results":[{"prompt_index":0,"content_filter_results":{{{{{{Filter}}}}}}}],
                 "choices":[{"index":0,"message":{"role":"assistant","content":"Hello from Azure.","refusal":null},"finish_reason":"stop","logprobs":null,"content_filter_results":{{{{{{Filter}}}}}}}],
                 "usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}
                """);
            return;
        }
        string Chunk(string delta, string finish) => $$$$$$"""{"id":"chatcmpl-azure","object":"chat.completion.chunk","created":1764000000,"model":"gpt-4o-2024-11-20","choices":[{"index":0,"delta":{{{{{{delta}}}}}},"finish_reason":{{{{{{finish}}}}}},"logprobs":null}]}""";
        var events = new List<string>
        {
            $$$$$$"""{"id":"","object":"","created":0,"model":"","choices":[],"prompt_filter_results":[{"prompt_index":0,"content_filter_results":{{{{{{Filter}}}}}}}]}""",
            Chunk("""{"role":"assistant","content":""}""", "null"), Chunk("""{"content":"Hello from "}""", "null"), Chunk("""{"content":"Azure."}""", "null"),
            Chunk("{}", "\"stop\""),
        };
        if (body["stream_options"]?["include_usage"]?.GetValue<bool>() == true)
            events.Add("""{"id":"chatcmpl-azure","object":"chat.completion.chunk","created":1764000000,"model":"gpt-4o-2024-11-20","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}""");
        events.Add("[DONE]");
        await Stream(http, "text/event-stream", events.Select(e => Encoding.UTF8.GetBytes($"data: {e}\n\n")));
    }
}
