using System.Buffers;
using System.Text;

// POST /v1/chat/completions, as fast as Kestrel allows: a JSON answer with a usage object, or (when the body asks for
// "stream": true) an SSE stream of MOCK_CHUNKS chunks, MOCK_CHUNK_DELAY_MS apart, a final usage chunk and [DONE].
// The body is not parsed beyond finding the stream flag: the mock must cost as little as possible, so that the
// benchmark's direct figures show the load tool and the loopback, and the proxied ones what the adapter adds.
var chunks = int.TryParse(Environment.GetEnvironmentVariable("MOCK_CHUNKS"), out var c) && c > 0 ? c : 20;
var chunkDelay = int.TryParse(Environment.GetEnvironmentVariable("MOCK_CHUNK_DELAY_MS"), out var d) && d > 0 ? TimeSpan.FromMilliseconds(d) : TimeSpan.Zero;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();

var json = Encoding.UTF8.GetBytes(
    """{"id":"chatcmpl-mock","object":"chat.completion","created":1764200000,"model":"mock","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21}}""");
var chunk = Encoding.UTF8.GetBytes(
    """data: {"id":"chatcmpl-mock","object":"chat.completion.chunk","created":1764200000,"model":"mock","choices":[{"index":0,"delta":{"content":"word "},"finish_reason":null}],"usage":null}""" + "\n\n");
var usage = Encoding.UTF8.GetBytes(
    $$$"""data: {"id":"chatcmpl-mock","object":"chat.completion.chunk","created":1764200000,"model":"mock","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":{{{chunks}}},"total_tokens":{{{12 + chunks}}}}}""" + "\n\ndata: [DONE]\n\n");

app.MapPost("/v1/chat/completions", async (HttpContext http) =>
{
    var body = await http.Request.BodyReader.ReadAsync();
    while (!body.IsCompleted)
    {
        http.Request.BodyReader.AdvanceTo(body.Buffer.Start, body.Buffer.End);
        body = await http.Request.BodyReader.ReadAsync();
    }
    var streaming = IsStreaming(body.Buffer.IsSingleSegment ? body.Buffer.FirstSpan : body.Buffer.ToArray());
    http.Request.BodyReader.AdvanceTo(body.Buffer.End);

    var response = http.Response;
    if (!streaming)
    {
        response.ContentType = "application/json";
        response.ContentLength = json.Length;
        await response.Body.WriteAsync(json);
        return;
    }
    response.ContentType = "text/event-stream";
    response.Headers.CacheControl = "no-cache";
    for (var i = 0; i < chunks; i++)
    {
        if (chunkDelay > TimeSpan.Zero)
            await Task.Delay(chunkDelay);
        await response.Body.WriteAsync(chunk);
        await response.Body.FlushAsync();
    }
    await response.Body.WriteAsync(usage);
});
app.MapGet("/health", () => "ok");
app.Run();

static bool IsStreaming(ReadOnlySpan<byte> body) =>
    body.IndexOf("\"stream\":true"u8) >= 0 || body.IndexOf("\"stream\": true"u8) >= 0;
