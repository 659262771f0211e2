using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Governance.Tests.Integration.Proxy;

/// <summary>
/// A provider on a real loopback port that speaks OpenAI (chat completions, streamed as real SSE, and embeddings) and
/// Anthropic (messages, streamed and not). What it does is chosen by the upstream model name:
/// <list type="bullet">
/// <item><c>fail-500</c>, <c>fail-429</c>, <c>fail-400</c>: that error status;</item>
/// <item><c>hang…</c>: never answers (until the caller cancels); <see cref="Arrived"/> says it was reached;</item>
/// <item><c>slow-&lt;ms&gt;…</c>: answers after that delay; <c>ratelimit-&lt;remaining&gt;-of-&lt;limit&gt;…</c>: with OpenAI's rate-limit headers;</item>
/// <item><c>no-usage…</c>: answers without any usage;</item>
/// <item><c>gated…</c> (streaming): sends the first content chunk, then waits for <see cref="Gate"/>.Release;</item>
/// <item>streams that break: point the provider at <see cref="Broken"/> instead;</item>
/// <item>anything else: a normal answer with full usage details.</item>
/// </list>
/// Prompt tokens are the characters of the messages' text; every streamed answer is <see cref="StreamedText"/>.
/// </summary>
public sealed class FakeProvider : IAsyncLifetime
{
    public const int CompletionTokens = 7, CachedTokens = 3, ReasoningTokens = 2;
    public static readonly string[] StreamedText = ["Hello", " from", " the", " stream."];
    public const string AnswerText = "Hello from the fake provider.";

    private WebApplication? _app;
    private readonly ConcurrentDictionary<string, Gate> _gates = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _arrivals = new();

    public string BaseUrl { get; private set; } = "";
    public BrokenStreams Broken { get; } = new();
    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>The exact bytes of the last stream sent for each upstream model.</summary>
    public ConcurrentDictionary<string, byte[]> SentStreams { get; } = new();

    public sealed record Received(string Path, string Model, JsonObject Body, IReadOnlyDictionary<string, string> Headers);

    public int CallsTo(string upstreamModel) => Requests.Count(r => r.Model == upstreamModel);

    /// <summary>Controls a <c>gated…</c> stream: release it, and learn whether its caller cancelled it.</summary>
    public sealed class Gate
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public void Release() => _release.TrySetResult();
        internal Task Released => _release.Task;
    }

    public Gate GateFor(string upstreamModel) => _gates.GetOrAdd(upstreamModel, _ => new Gate());

    public Task Arrived(string upstreamModel) => _arrivals.GetOrAdd(upstreamModel, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/v1/chat/completions", Chat);
        _app.MapPost("/v1/embeddings", Embeddings);
        _app.MapPost("/v1/messages", Messages);
        await _app.StartAsync();
        Broken.Start();
        BaseUrl = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/v1";
    }

    public async Task DisposeAsync()
    {
        await Broken.DisposeAsync();
        if (_app is not null)
            await _app.DisposeAsync();
    }

    private async Task<(string Model, JsonObject Body)> ReceiveAsync(HttpContext http)
    {
        var body = (await JsonNode.ParseAsync(http.Request.Body))!.AsObject();
        var model = body["model"]!.GetValue<string>();
        var headers = http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        Requests.Enqueue(new Received(http.Request.Path, model, body, headers));
        _arrivals.GetOrAdd(model, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return (model, body);
    }

    private static int PromptTokens(JsonObject body) =>
        body["messages"]!.AsArray().Sum(m => m!["content"] is JsonValue v ? v.GetValue<string>().Length : 0)
        + (body["system"] is JsonValue system ? system.GetValue<string>().Length : 0);

    private static IResult? Failure(string model) => model switch
    {
        "fail-500" => Results.Json(new { error = new { message = "boom", type = "server_error" } }, statusCode: 500),
        "fail-400" => Results.Json(new { error = new { message = "bad request upstream", type = "invalid_request_error" } }, statusCode: 400),
        _ => null,
    };

    private async Task Chat(HttpContext http)
    {
        var (model, body) = await ReceiveAsync(http);
        if (await EarlyEndAsync(http, model))
            return;
        var prompt = PromptTokens(body);
        var stream = body["stream"] is JsonValue s && s.GetValue<bool>();
        var withUsage = !model.StartsWith("no-usage");
        if (!stream)
        {
            object? usage = withUsage ? Usage(prompt) : null;
            await Results.Json(new
            {
                id = "chatcmpl-fake", @object = "chat.completion", created = 1_764_000_000, model,
                choices = new[] { new { index = 0, message = new { role = "assistant", content = AnswerText }, finish_reason = "stop" } },
                usage,
            }).ExecuteAsync(http);
            return;
        }

        var includeUsage = withUsage && body["stream_options"]?["include_usage"] is JsonValue u && u.GetValue<bool>();
        string Chunk(object delta, string? finish) => JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["id"] = "chatcmpl-fake", ["object"] = "chat.completion.chunk", ["created"] = 1_764_000_000, ["model"] = model,
            ["choices"] = new[] { new Dictionary<string, object?> { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish } },
        }.Concat(includeUsage ? [new KeyValuePair<string, object?>("usage", null)] : []).ToDictionary());
        List<string> events = [Chunk(new { role = "assistant", content = "" }, null), .. StreamedText.Select(t => Chunk(new { content = t }, null)), Chunk(new { }, "stop")];
        if (includeUsage)
            events.Add(JsonSerializer.Serialize(new
            {
                id = "chatcmpl-fake", @object = "chat.completion.chunk", created = 1_764_000_000, model, choices = Array.Empty<object>(),
                usage = Usage(prompt, StreamedText.Length),
            }));
        events.Add("[DONE]");
        await StreamAsync(http, model, events.Select(e => $"data: {e}\n\n").ToList());
    }

    private static object Usage(int prompt, int completion = CompletionTokens) => new
    {
        prompt_tokens = prompt, completion_tokens = completion, total_tokens = prompt + completion,
        prompt_tokens_details = new { cached_tokens = Math.Min(CachedTokens, prompt) },
        completion_tokens_details = new { reasoning_tokens = Math.Min(ReasoningTokens, completion) },
    };

    private async Task Embeddings(HttpContext http)
    {
        var (model, body) = await ReceiveAsync(http);
        if (await EarlyEndAsync(http, model))
            return;
        var inputs = body["input"] is JsonArray array ? array.Select(i => i!.GetValue<string>()).ToList() : [body["input"]!.GetValue<string>()];
        var tokens = inputs.Sum(i => i.Length);
        await Results.Json(new
        {
            @object = "list", model,
            data = inputs.Select((_, i) => new { @object = "embedding", index = i, embedding = new[] { 0.1f, 0.2f, 0.3f } }),
            usage = new { prompt_tokens = tokens, total_tokens = tokens },
        }).ExecuteAsync(http);
    }

    private async Task Messages(HttpContext http)
    {
        var (model, body) = await ReceiveAsync(http);
        if (await EarlyEndAsync(http, model))
            return;
        var input = PromptTokens(body);
        var usage = new { input_tokens = input, cache_read_input_tokens = CachedTokens, cache_creation_input_tokens = 1, output_tokens = CompletionTokens };
        if (!(body["stream"] is JsonValue s && s.GetValue<bool>()))
        {
            await Results.Json(new
            {
                id = "msg_fake", type = "message", role = "assistant", model,
                content = new[] { new { type = "text", text = AnswerText } }, stop_reason = "end_turn", stop_sequence = (string?)null, usage,
            }).ExecuteAsync(http);
            return;
        }

        string Event(string type, object data) => $"event: {type}\ndata: {JsonSerializer.Serialize(data)}\n\n";
        List<string> events =
        [
            Event("message_start", new
            {
                type = "message_start",
                message = new
                {
                    id = "msg_fake", type = "message", role = "assistant", model, content = Array.Empty<object>(), stop_reason = (string?)null,
                    usage = usage with { output_tokens = 1 },
                },
            }),
            Event("content_block_start", new { type = "content_block_start", index = 0, content_block = new { type = "text", text = "" } }),
            Event("ping", new { type = "ping" }),
            .. StreamedText.Select(t => Event("content_block_delta", new { type = "content_block_delta", index = 0, delta = new { type = "text_delta", text = t } })),
            Event("content_block_stop", new { type = "content_block_stop", index = 0 }),
            Event("message_delta", new { type = "message_delta", delta = new { stop_reason = "end_turn" }, usage = new { output_tokens = CompletionTokens } }),
            Event("message_stop", new { type = "message_stop" }),
        ];
        await StreamAsync(http, model, events);
    }

    /// <summary>Failures and hangs shared by every endpoint; true when the request was answered here.</summary>
    private static async Task<bool> EarlyEndAsync(HttpContext http, string model)
    {
        if (model == "fail-429")
        {
            http.Response.Headers.RetryAfter = "7";
            await Results.Json(new { error = new { message = "slow down", type = "rate_limit_error" } }, statusCode: 429).ExecuteAsync(http);
            return true;
        }
        if (Failure(model) is { } failure)
        {
            await failure.ExecuteAsync(http);
            return true;
        }
        if (model.StartsWith("hang"))
        {
            await Task.Delay(Timeout.Infinite, http.RequestAborted).ContinueWith(_ => { });
            return true;
        }
        // slow-<ms>…: answers after that delay.
        if (model.Split('-') is ["slow", var delay, ..] && int.TryParse(delay, out var ms))
            await Task.Delay(ms, http.RequestAborted);
        // ratelimit-<remaining>-of-<limit>…: OpenAI's rate-limit headers, resetting in a minute.
        if (model.Split('-') is ["ratelimit", var remaining, "of", var limit, ..])
        {
            http.Response.Headers["x-ratelimit-limit-requests"] = limit;
            http.Response.Headers["x-ratelimit-remaining-requests"] = remaining;
            http.Response.Headers["x-ratelimit-reset-requests"] = "1m0s";
        }
        return false;
    }

    private async Task StreamAsync(HttpContext http, string model, IReadOnlyList<string> events)
    {
        http.Response.ContentType = "text/event-stream; charset=utf-8";
        await http.Response.StartAsync();
        var sent = new MemoryStream();
        var gate = model.StartsWith("gated") ? GateFor(model) : null;
        try
        {
            for (var i = 0; i < events.Count; i++)
            {
                // Event 0 is the role chunk (or message_start); waiting after the first content chunk.
                if (gate is not null && i == 2)
                    await gate.Released.WaitAsync(http.RequestAborted);
                var bytes = Encoding.UTF8.GetBytes(events[i]);
                sent.Write(bytes);
                await http.Response.Body.WriteAsync(bytes, http.RequestAborted);
                await http.Response.Body.FlushAsync(http.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
            gate?.Cancelled.TrySetResult();
        }
        finally
        {
            SentStreams[model] = sent.ToArray();
        }
    }
}
