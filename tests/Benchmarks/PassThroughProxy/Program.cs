using System.Net.Http.Headers;

// The least a reverse proxy does, with the same parts as the adapter (Kestrel in, one pooled HttpClient out): forward
// POST /v1/chat/completions to UPSTREAM_URL with the body and the Authorization header as they came, and copy the answer
// back as it arrives. No key check, no lease, no pricing, no usage record. proxy.sh measures it beside the adapter, so
// the figures separate what any proxy hop costs on this machine from what governance adds.
var upstream = Environment.GetEnvironmentVariable("UPSTREAM_URL") ?? throw new InvalidOperationException("UPSTREAM_URL is not set");

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();
var client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AutomaticDecompression = System.Net.DecompressionMethods.None });

app.MapPost("/v1/chat/completions", async (HttpContext http) =>
{
    using var request = new HttpRequestMessage(HttpMethod.Post, upstream.TrimEnd('/') + "/v1/chat/completions")
    {
        Content = new StreamContent(http.Request.Body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
    };
    request.Headers.TryAddWithoutValidation("Authorization", http.Request.Headers.Authorization.ToString());
    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, http.RequestAborted);
    http.Response.StatusCode = (int)response.StatusCode;
    http.Response.ContentType = response.Content.Headers.ContentType?.ToString();
    await using var answer = await response.Content.ReadAsStreamAsync(http.RequestAborted);
    var buffer = new byte[16 * 1024];
    int read;
    while ((read = await answer.ReadAsync(buffer, http.RequestAborted)) > 0)
    {
        await http.Response.Body.WriteAsync(buffer.AsMemory(0, read), http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
    }
});
app.MapGet("/health", () => "ok");
app.Run();
