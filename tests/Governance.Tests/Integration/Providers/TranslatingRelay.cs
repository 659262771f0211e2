using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using ProxyAdapter.Translation;

namespace Governance.Tests.Integration.Providers;

/// <summary>
/// The least gateway that can carry a translated call: an Anthropic-shaped <c>/v1/messages</c> (and OpenAI-shaped
/// <c>/v1/chat/completions</c>, <c>/v1/responses</c>) endpoint that translates the request for <paramref name="target"/>,
/// sends it to <paramref name="upstream"/> with <paramref name="key"/>, and translates the answer, stream or error back. It
/// stands in for phase 2's pipeline so official SDKs can read what the translation layer writes.
/// </summary>
public sealed class TranslatingRelay(ModelTarget target, string upstream, string key) : StandIn
{
    private static readonly HttpClient Http = new();

    protected override void Map(WebApplication app)
    {
        app.MapPost("/v1/messages", (HttpContext http) => Relay(http, ClientApi.Messages));
        app.MapPost("/v1/chat/completions", (HttpContext http) => Relay(http, ClientApi.ChatCompletions));
        app.MapPost("/v1/responses", (HttpContext http) => Relay(http, ClientApi.Responses));
    }

    private async Task Relay(HttpContext http, ClientApi api)
    {
        var received = await Record(http);
        if (Translator.Request(api, JsonNode.Parse(received.Body)!.AsObject(), target, out var call) is { } refusal)
        {
            var error = new ProviderError(400, "invalid_request_error", refusal.Code, refusal.Message);
            await Json(http, 400, Encoding.UTF8.GetString(SseWriter.Document(error, static (json, e) => ProxyAdapter.Translation.Messages.AnthropicWords.Error(json, e))));
            return;
        }
        var request = new HttpRequestMessage(HttpMethod.Post, upstream + call.Path) { Content = new StringContent(call.Body.ToJsonString(), Encoding.UTF8, "application/json") };
        foreach (var (name, value) in call.Headers)
            request.Headers.Add(name, value);
        var (header, credential) = ProviderAuth.Header(target.Kind, key);
        request.Headers.TryAddWithoutValidation(header, credential);
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var stamp = new AnswerStamp("relay1", (string?)JsonNode.Parse(received.Body)!["model"] ?? "", 1_764_000_000);
        if (!response.IsSuccessStatusCode)
        {
            var (status, body) = Translator.Error(call, (int)response.StatusCode, await response.Content.ReadAsByteArrayAsync());
            await Json(http, status, Encoding.UTF8.GetString(body));
            return;
        }
        if (!call.Streaming)
        {
            await Json(http, 200, Encoding.UTF8.GetString(Translator.Response(call, await response.Content.ReadAsByteArrayAsync(), stamp)!.Body));
            return;
        }
        http.Response.ContentType = "text/event-stream";
        var translator = Translator.Stream(call, stamp);
        var output = new ArrayBufferWriter<byte>();
        var pending = new List<byte>();
        await using var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[4096];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            pending.AddRange(buffer.AsSpan(0, read).ToArray());
            int length;
            while (pending.Count > 0 && (length = translator.UnitLength(pending.ToArray())) > 0)
            {
                translator.Feed(pending.GetRange(0, length).ToArray(), output);
                pending.RemoveRange(0, length);
            }
            await http.Response.Body.WriteAsync(output.WrittenMemory);
            await http.Response.Body.FlushAsync();
            output.Clear();
        }
        translator.Complete(output);
        await http.Response.Body.WriteAsync(output.WrittenMemory);
    }
}
