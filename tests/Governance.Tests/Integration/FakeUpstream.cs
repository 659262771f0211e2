using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging;

namespace Governance.Tests.Integration;

/// <summary>
/// An OpenAI-compatible provider on a real loopback port. It answers chat completions with usage
/// (prompt tokens = characters of the messages' content, completion tokens = 7) and remembers what it received.
/// </summary>
public sealed class FakeUpstream : IAsyncDisposable
{
    public const int CompletionTokens = 7;
    private WebApplication? _app;

    public string BaseUrl { get; private set; } = "";
    public ConcurrentQueue<Received> Requests { get; } = new();

    public sealed record Received(string? Authorization, string Model, JsonObject Body);

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/v1/chat/completions", async (HttpContext http) =>
        {
            var body = (await JsonNode.ParseAsync(http.Request.Body))!.AsObject();
            var model = body["model"]!.GetValue<string>();
            Requests.Enqueue(new Received(http.Request.Headers.Authorization.ToString(), model, body));
            if (model == "always-500")
                return Results.Json(new { error = new { message = "boom", type = "server_error" } }, statusCode: 500);
            var promptTokens = body["messages"]!.AsArray().Sum(m => m!["content"]!.GetValue<string>().Length);
            return Results.Json(new
            {
                id = "chatcmpl-fake",
                @object = "chat.completion",
                created = 1_764_000_000,
                model,
                choices = new[]
                {
                    new { index = 0, message = new { role = "assistant", content = "Hello from the fake upstream." }, finish_reason = "stop" },
                },
                usage = new { prompt_tokens = promptTokens, completion_tokens = CompletionTokens, total_tokens = promptTokens + CompletionTokens },
            });
        });
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = address + "/v1";
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
            await _app.DisposeAsync();
    }
}
