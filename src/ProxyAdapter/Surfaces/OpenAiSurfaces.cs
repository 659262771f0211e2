using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Catalog;
using Governance.Domain.Usage;
using Governance.Hosting;
using ProxyAdapter.Streaming;
using ProxyAdapter.Translation;

namespace ProxyAdapter.Surfaces;

public abstract class OpenAiSurface : Surface
{
    public override ApiFamily Family => ApiFamily.OpenAi;
    public override ErrorShape Errors => OpenAiErrors.Instance;

    public override void Authenticate(HttpRequestMessage upstream, string apiKey, HttpRequest incoming, GatewayOptions options) =>
        upstream.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);

    public override TokenUsage? ReadUsage(ReadOnlySpan<byte> body) => Usage.TryRead(body);
}

/// <summary>POST /v1/chat/completions, streaming or not.</summary>
public sealed class ChatCompletionsSurface : OpenAiSurface
{
    public static readonly ChatCompletionsSurface Instance = new();

    public override GatewayApi Api => GatewayApi.ChatCompletions;
    public override string UpstreamPath => "/chat/completions";

    /// <summary>Claude, Gemini and Bedrock models too: their calls are translated to the provider's API and back.</summary>
    public override ClientApi? TranslatedAs => ClientApi.ChatCompletions;

    public override IResult? Prepare(JsonObject body, LedgerOptions ledger, out CallShape shape)
    {
        shape = null!;
        if (ReadModel(body, out var model) is { } invalidModel)
            return Errors.Invalid(invalidModel);
        if (ChatBody.Read(body, out var use, out var streaming) is { } invalid)
            return Errors.Invalid(invalid);

        // Streamed usage needs stream_options.include_usage; a client that did not ask must not see the extra chunk.
        var drop = false;
        if (streaming && !(body["stream_options"] is JsonObject options && Flag(options, "include_usage")))
        {
            var streamOptions = body["stream_options"] as JsonObject ?? [];
            streamOptions["include_usage"] = true;
            body["stream_options"] = streamOptions;
            drop = true;
        }
        shape = new CallShape(model, streaming, use, drop);
        return null;
    }

    /// <summary>Enforces the cap the hold assumed, so the provider cannot produce more than was reserved.</summary>
    protected override void LimitOutput(JsonObject body, long tokens) => body["max_completion_tokens"] = tokens;

    public override long GeneratedTextBytes(ReadOnlySpan<byte> body) =>
        SumOver(body, "choices", choice =>
            choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("message", out var message) ? OpenAiText.Of(message) : 0);

    public override IStreamObserver Observer(CallShape shape) => new OpenAiChatObserver(shape.DropUsageChunk);
}

/// <summary>POST /v1/embeddings: priced by input tokens only.</summary>
public sealed class EmbeddingsSurface : OpenAiSurface
{
    public static readonly EmbeddingsSurface Instance = new();

    public override GatewayApi Api => GatewayApi.Embeddings;
    public override string UpstreamPath => "/embeddings";

    public override IResult? Prepare(JsonObject body, LedgerOptions ledger, out CallShape shape)
    {
        shape = null!;
        if ((ReadModel(body, out var model) ?? EmbeddingsBody.Read(body)) is { } invalid)
            return Errors.Invalid(invalid);
        shape = new CallShape(model, false, RequestedUse.InputOnly, false);
        return null;
    }

    public override long GeneratedTextBytes(ReadOnlySpan<byte> body) => 0;

    public override IStreamObserver Observer(CallShape shape) => new OpenAiChatObserver(false);
}
