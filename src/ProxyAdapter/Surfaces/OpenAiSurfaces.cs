using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Catalog;
using Governance.Domain.Usage;
using Governance.Projections.Hosting;
using ProxyAdapter.Streaming;

namespace ProxyAdapter.Surfaces;

public abstract class OpenAiSurface : Surface
{
    public override ApiFamily Family => ApiFamily.OpenAi;
    public override ErrorShape Errors => OpenAiErrors.Instance;

    public override void Authenticate(HttpRequestMessage upstream, string apiKey, HttpRequest incoming, GatewayOptions options) =>
        upstream.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);

    public override TokenUsage? ReadUsage(ReadOnlySpan<byte> body) => Usage.TryRead(body);

    protected static IResult? MissingModel(JsonObject body, out string model)
    {
        model = Model(body) ?? "";
        return model.Length == 0 ? OpenAiErrors.Instance.BadRequest("'model' is required.", "missing_model") : null;
    }
}

/// <summary>POST /v1/chat/completions, streaming or not.</summary>
public sealed class ChatCompletionsSurface : OpenAiSurface
{
    public static readonly ChatCompletionsSurface Instance = new();

    /// <summary>OpenAI's own limit on <c>n</c>.</summary>
    private const int MaxChoices = 128;

    public override string UpstreamPath => "/chat/completions";

    public override IResult? Prepare(JsonObject body, LedgerOptions ledger, out CallShape shape)
    {
        shape = null!;
        if (MissingModel(body, out var model) is { } missing)
            return missing;
        var streaming = Flag(body, "stream");
        var choices = (int)Math.Min(PositiveLong(body, "n") ?? 1, MaxChoices);
        var maxOutput = PositiveLong(body, "max_completion_tokens") ?? PositiveLong(body, "max_tokens");
        if (maxOutput is null)
        {
            // Enforce the cap the hold assumed, so the actual cost can never exceed what was reserved.
            body["max_completion_tokens"] = ledger.DefaultMaxOutputTokens;
            maxOutput = ledger.DefaultMaxOutputTokens;
        }

        // Streamed usage needs stream_options.include_usage; a client that did not ask must not see the extra chunk.
        var drop = false;
        if (streaming && !(body["stream_options"] is JsonObject options && Flag(options, "include_usage")))
        {
            var streamOptions = body["stream_options"] as JsonObject ?? [];
            streamOptions["include_usage"] = true;
            body["stream_options"] = streamOptions;
            drop = true;
        }
        shape = new CallShape(model, streaming, maxOutput.Value, choices, drop);
        return null;
    }

    public override long GeneratedTextBytes(ReadOnlySpan<byte> body) =>
        SumOver(body, "choices", choice =>
            choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("message", out var message) ? OpenAiText.Of(message) : 0);

    public override IStreamObserver Observer(CallShape shape) => new OpenAiChatObserver(shape.DropUsageChunk);
}

/// <summary>POST /v1/embeddings: priced by input tokens only.</summary>
public sealed class EmbeddingsSurface : OpenAiSurface
{
    public static readonly EmbeddingsSurface Instance = new();

    public override string UpstreamPath => "/embeddings";

    public override IResult? Prepare(JsonObject body, LedgerOptions ledger, out CallShape shape)
    {
        shape = null!;
        if (MissingModel(body, out var model) is { } missing)
            return missing;
        shape = new CallShape(model, false, 0, 1, false);
        return null;
    }

    public override long GeneratedTextBytes(ReadOnlySpan<byte> body) => 0;

    public override IStreamObserver Observer(CallShape shape) => new OpenAiChatObserver(false);
}
