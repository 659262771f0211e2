using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Usage;
using ProxyAdapter.Surfaces;
using ProxyAdapter.Translation.Anthropic;
using ProxyAdapter.Translation.Azure;
using ProxyAdapter.Translation.Bedrock;
using ProxyAdapter.Translation.Chat;
using ProxyAdapter.Translation.Gemini;
using ProxyAdapter.Translation.Messages;
using ProxyAdapter.Translation.Responses;

namespace ProxyAdapter.Translation;

/// <summary>A provider's answer in the client's shape, and the provider's usage for pricing.</summary>
public sealed record TranslatedAnswer(byte[] Body, ProviderUsage? Usage);

/// <summary>
/// The translation layer's four entry points, for the gateway's pipeline (docs/providers.md):
/// <list type="number">
/// <item><see cref="Request"/>: the client's body for one attempt → the <see cref="UpstreamCall"/> (path, headers, body), or
/// a 400 naming the parameter that cannot be translated;</item>
/// <item><see cref="Response"/>: the provider's whole answer → the client's, with the usage to price;</item>
/// <item><see cref="Stream"/>: a per-stream <see cref="IStreamTranslator"/> fed the provider's SSE events or event-stream frames;</item>
/// <item><see cref="Error"/>: the provider's error status and body → the client's error shape.</item>
/// </list>
/// A call whose provider speaks the client's API is <see cref="UpstreamCall.Passthrough"/>: everything goes back unchanged.
/// All pure: no I/O, no clock (the <see cref="AnswerStamp"/> carries the time).
/// </summary>
public static class Translator
{
    public static InvalidParam? Request(ClientApi api, JsonObject body, ModelTarget target, out UpstreamCall call)
    {
        call = null!;
        var kind = target.Kind;
        if (!TargetKinds.All.Contains(kind))
            return Refusals.Invalid("model", $"the model is served by an unknown provider kind '{kind}'");
        switch (api)
        {
            case ClientApi.ChatCompletions when TargetKinds.SpeaksOpenAiChat(kind):
                return Passthrough(api, body, target, ChatPath(target), out call);
            case ClientApi.Messages when kind == TargetKinds.Anthropic:
                return Passthrough(api, body, target, "/messages", out call);
            case ClientApi.Responses when kind is TargetKinds.OpenAi or TargetKinds.AzureOpenAi:
                return Passthrough(api, body, target, kind == TargetKinds.OpenAi ? "/responses" : AzureOpenAi.Path(target, "responses"), out call);
            case ClientApi.ChatCompletions:
                return Chat(api, body, target, out call);
            case ClientApi.Responses:
                if (ResponsesRequestReader.Read(body, kind, out var fromResponses, out var echo) is { } invalidResponses)
                    return invalidResponses;
                if (Chat(api, fromResponses, target, out call) is { } invalidChat)
                    return invalidChat;
                call = call with { Echo = echo };
                return null;
            case ClientApi.Messages:
                if (MessagesRequestReader.Read(body, kind, out var fromMessages) is { } invalidMessages)
                    return invalidMessages;
                return Chat(api, fromMessages, target, out call);
            default:
                return Refusals.Unsupported("model", kind, $"the {api} API is not translated");
        }
    }

    public static TranslatedAnswer? Response(UpstreamCall call, ReadOnlyMemory<byte> body, AnswerStamp stamp)
    {
        using var doc = Decoding.Parse(body);
        if (doc is null)
            return null;
        var root = doc.RootElement;
        var answer = call.Target.Kind switch
        {
            TargetKinds.Anthropic => AnthropicAnswerReader.Read(root),
            TargetKinds.Gemini => GeminiAnswerReader.Read(root, stamp.Id),
            TargetKinds.Bedrock => BedrockAnswerReader.Read(root),
            _ => OpenAiAnswerReader.Read(root),
        };
        // The client's own API: its bytes go back as they came (an OpenAI Responses object is not read as a chat answer).
        if (call.Passthrough)
            return new TranslatedAnswer(body.ToArray(), call.Api == ClientApi.Responses ? ResponsesUsageOf(root) : answer?.Usage);
        if (answer is null)
            return null;
        answer = StreamTranslator.Unwrap(answer, call.JsonTool);
        var written = call.Api switch
        {
            ClientApi.Messages => MessageWriter.Write(answer, stamp),
            ClientApi.Responses => ResponseWriter.Write(answer, stamp, call.Echo),
            _ => ChatCompletionWriter.Write(answer, stamp),
        };
        return written is null ? null : new TranslatedAnswer(written, answer.Usage);
    }

    public static IStreamTranslator Stream(UpstreamCall call, AnswerStamp stamp)
    {
        IStreamDecoder decoder = call.Target.Kind switch
        {
            TargetKinds.Anthropic => new AnthropicStreamDecoder(),
            TargetKinds.Gemini => new GeminiStreamDecoder(stamp.Id),
            TargetKinds.Bedrock => new BedrockStreamDecoder(),
            _ => new OpenAiStreamDecoder(),
        };
        // A Responses passthrough's events are not chat chunks: read for their usage and end as Responses events.
        if (call.Passthrough)
            return call.Api == ClientApi.Responses
                ? new PassthroughStream(new ResponsesStreamDecoder(), 1)
                : new PassthroughStream(decoder, call.Choices);
        IStreamEncoder encoder = call.Api switch
        {
            ClientApi.Messages => new MessageEventEncoder(stamp),
            ClientApi.Responses => new ResponseEventEncoder(stamp, call.Echo),
            _ => new ChatChunkEncoder(stamp, call.IncludeUsage),
        };
        return new StreamTranslator(decoder, encoder, call.Choices, call.JsonTool);
    }

    /// <summary>The provider's error as the client's API words it; a passthrough call's error goes back as it came.</summary>
    public static (int Status, byte[] Body) Error(UpstreamCall call, int status, ReadOnlyMemory<byte> body)
    {
        if (call.Passthrough)
            return (status, body.ToArray());
        var error = ReadError(call.Target.Kind, status, body);
        return (error.Status, call.Api == ClientApi.Messages
            ? SseWriter.Document(error, static (json, e) => AnthropicWords.Error(json, e))
            : SseWriter.Document(error, static (json, e) => OpenAiWords.Error(json, e)));
    }

    internal static ProviderError ReadError(string kind, int status, ReadOnlyMemory<byte> body)
    {
        using var doc = Decoding.Parse(body);
        var root = doc?.RootElement ?? default;
        return kind switch
        {
            TargetKinds.Anthropic => AnthropicErrorReader.Read(status, root),
            TargetKinds.Gemini => GeminiErrorReader.Read(status, root),
            TargetKinds.Bedrock => BedrockErrorReader.Read(status, root),
            _ => OpenAiErrorReader.Read(status, root),
        };
    }

    private static ProviderUsage? ResponsesUsageOf(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("usage", out var usage) && ResponsesUsage.From(usage) is { } tokens
            ? ProviderUsage.Of(tokens.Input, tokens.Cached, 0, tokens.Output, tokens.Reasoning)
            : null;

    private static InvalidParam? Passthrough(ClientApi api, JsonObject body, ModelTarget target, string path, out UpstreamCall call)
    {
        call = null!;
        if (BodyFields.Flag(body, "stream", out var stream) is { } invalid)
            return invalid;
        body["model"] = target.UpstreamModel;
        call = new UpstreamCall(api, target, path, body, stream) { Passthrough = true };
        return null;
    }

    /// <summary>An OpenAI chat body (the client's, or translated from another API) to a provider of <paramref name="target"/>'s kind.</summary>
    private static InvalidParam? Chat(ClientApi api, JsonObject chat, ModelTarget target, out UpstreamCall call)
    {
        call = null!;
        var kind = target.Kind;
        if (TargetKinds.SpeaksOpenAiChat(kind))
        {
            // Another API's request, now an OpenAI chat body: sent as is; the answer is translated back.
            if (ChatRequestReader.Read(chat, kind, out var checkedChat) is { } invalidChat)
                return invalidChat;
            chat["model"] = target.UpstreamModel;
            call = new UpstreamCall(api, target, ChatPath(target), chat, checkedChat.Stream) { IncludeUsage = checkedChat.IncludeUsage, Choices = checkedChat.N };
            return null;
        }
        if (ChatRequestReader.Read(chat, kind, out var request) is { } invalid)
            return invalid;
        if (api != ClientApi.ChatCompletions && request.N != 1)
            return Refusals.UnsupportedValue("n", kind, "must be 1");
        switch (kind)
        {
            case TargetKinds.Anthropic:
                if (AnthropicRequestWriter.Write(request, target, out var anthropic, out var jsonTool) is { } refusedAnthropic)
                    return refusedAnthropic;
                call = Call(api, target, "/messages", anthropic, request) with
                {
                    Headers = [new("anthropic-version", target.AnthropicVersion)], JsonTool = jsonTool,
                };
                return null;
            case TargetKinds.Gemini:
                if (GeminiRequestWriter.Write(request, out var gemini) is { } refusedGemini)
                    return refusedGemini;
                var model = Uri.EscapeDataString(target.UpstreamModel);
                call = Call(api, target, request.Stream ? $"/models/{model}:streamGenerateContent?alt=sse" : $"/models/{model}:generateContent", gemini, request);
                return null;
            case TargetKinds.Bedrock:
                if (BedrockRequestWriter.Write(request, out var bedrock, out var bedrockTool) is { } refusedBedrock)
                    return refusedBedrock;
                var modelId = Uri.EscapeDataString(target.UpstreamModel);
                call = Call(api, target, request.Stream ? $"/model/{modelId}/converse-stream" : $"/model/{modelId}/converse", bedrock, request) with
                {
                    JsonTool = bedrockTool,
                };
                return null;
            default:
                return Refusals.Invalid("model", $"the model is served by a provider kind '{kind}' this gateway cannot translate to");
        }
    }

    private static UpstreamCall Call(ClientApi api, ModelTarget target, string path, JsonObject body, ChatRequest request) =>
        new(api, target, path, body, request.Stream) { IncludeUsage = request.IncludeUsage, Choices = request.N };

    private static string ChatPath(ModelTarget target) =>
        target.Kind == TargetKinds.AzureOpenAi ? AzureOpenAi.Path(target, "chat/completions") : "/chat/completions";
}
