using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Catalog;
using Governance.Domain.Usage;
using Governance.Hosting;
using ProxyAdapter.Streaming;
using ProxyAdapter.Translation;

namespace ProxyAdapter.Surfaces;

/// <summary>
/// POST /v1/messages, Anthropic's API, passed to Anthropic-kind providers, and translated to OpenAI's chat completions for
/// <c>openai</c> and <c>openai-compatible</c> ones (docs/providers.md). Anthropic SDKs send the key as
/// <c>x-api-key</c>; <c>Authorization: Bearer</c> works too. The provider gets its own key the same way, and the
/// client's <c>anthropic-version</c> (or the configured default) and <c>anthropic-beta</c> headers.
/// </summary>
public sealed class AnthropicMessagesSurface : Surface
{
    public static readonly AnthropicMessagesSurface Instance = new();

    public override ApiFamily Family => ApiFamily.Anthropic;
    public override GatewayApi Api => GatewayApi.Messages;
    public override string UpstreamPath => "/messages";
    public override ErrorShape Errors => AnthropicErrors.Instance;

    /// <summary>GPT models (and any OpenAI-compatible server's) too: their calls are translated to chat completions and back.</summary>
    public override ClientApi? TranslatedAs => ClientApi.Messages;

    public override string? PresentedKey(HttpRequest request) =>
        request.Headers.TryGetValue("x-api-key", out var key) && !string.IsNullOrWhiteSpace(key) ? key.ToString().Trim() : base.PresentedKey(request);

    public override IResult? Prepare(JsonObject body, LedgerOptions ledger, out CallShape shape)
    {
        shape = null!;
        if (ReadModel(body, out var model) is { } invalidModel)
            return Errors.Invalid(invalidModel);
        // Anthropic requires max_tokens too; it is also what bounds the hold.
        if (AnthropicBody.Read(body, out var use, out var streaming) is { } invalid)
            return Errors.Invalid(invalid);
        shape = new CallShape(model, streaming, use, false);
        return null;
    }

    public override void Authenticate(HttpRequestMessage upstream, string apiKey, HttpRequest incoming, GatewayOptions options)
    {
        upstream.Headers.Add("x-api-key", apiKey);
        var version = incoming.Headers["anthropic-version"].ToString();
        upstream.Headers.Add("anthropic-version", string.IsNullOrWhiteSpace(version) ? options.AnthropicVersion : version);
        if (incoming.Headers.TryGetValue("anthropic-beta", out var beta) && beta.Count > 0)
            upstream.Headers.Add("anthropic-beta", beta.ToString());
    }

    public override TokenUsage? ReadUsage(ReadOnlySpan<byte> body) => AnthropicUsage.TryRead(body);

    public override long GeneratedTextBytes(ReadOnlySpan<byte> body) =>
        SumOver(body, "content", block => Usage.TextBytes(block, "text") + Usage.TextBytes(block, "thinking")
            + (block.ValueKind == JsonValueKind.Object && block.TryGetProperty("input", out var input) ? input.GetRawText().Length : 0));

    public override IStreamObserver Observer(CallShape shape) => new AnthropicObserver();
}
