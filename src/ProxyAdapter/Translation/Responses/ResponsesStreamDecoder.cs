using System.Text.Json;
using ProxyAdapter.Translation.Chat;

namespace ProxyAdapter.Translation.Responses;

/// <summary>
/// A provider's own Responses stream, read for what a passthrough needs (<see cref="PassthroughStream"/>): the usage and the
/// end of <c>response.completed</c> / <c>response.incomplete</c>, and a failure in <c>response.failed</c> or <c>error</c>.
/// The events themselves go to the client unchanged.
/// </summary>
public sealed class ResponsesStreamDecoder : SseDecoder
{
    protected override void Data(ReadOnlyMemory<byte> data, List<ChatEvent> events)
    {
        using var doc = Decoding.Parse(data);
        if (doc is null || Decoding.String(doc.RootElement, "type") is not { } type)
            return;
        var root = doc.RootElement;
        Decoding.TryObject(root, "response", out var response);
        if (type is "response.completed" or "response.incomplete" or "response.failed"
            && response.ValueKind == JsonValueKind.Object && response.TryGetProperty("usage", out var usage) && ResponsesUsage.From(usage) is { } tokens)
            events.Add(new UsageReported(ProviderUsage.Of(tokens.Input, tokens.Cached, 0, tokens.Output, tokens.Reasoning)));
        switch (type)
        {
            case "response.completed":
                events.Add(new ChoiceFinished(0, Finish.Stop));
                break;
            case "response.incomplete":
                events.Add(new ChoiceFinished(0, Finish.Length));
                break;
            case "response.failed":
                events.Add(new StreamFailed(OpenAiErrorReader.Read(500, response)));
                break;
            case "error":
                events.Add(new StreamFailed(new ProviderError(500, "api_error", Decoding.String(root, "code"), Decoding.String(root, "message") ?? "The provider's stream failed.")));
                break;
        }
    }
}
