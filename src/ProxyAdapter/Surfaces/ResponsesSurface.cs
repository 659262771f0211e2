using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Catalog;
using Governance.Domain.Usage;
using Governance.Hosting;
using ProxyAdapter.Streaming;
using ProxyAdapter.Translation;

namespace ProxyAdapter.Surfaces;

/// <summary>
/// POST /v1/responses, OpenAI's Responses API, streaming or not. Passed through to <c>openai</c> providers; to the other
/// kinds <see cref="GatewayApis"/> lists for it (an <c>openai-compatible</c> server, which may not speak Responses, and
/// Claude models), translated through the chat form and back (docs/providers.md). Stateless either way (<see cref="ResponsesBody"/>):
/// nothing is stored at the provider, so no application reads or continues another's response.
/// </summary>
public sealed class ResponsesSurface : OpenAiSurface
{
    public static readonly ResponsesSurface Instance = new();

    public override string UpstreamPath => "/responses";

    public override ClientApi? TranslatedAs => ClientApi.Responses;

    public override GatewayApi Api => GatewayApi.Responses;

    /// <summary>Only OpenAI's own API is known to speak Responses; every other kind gets the call as chat completions.</summary>
    public override bool Translates(string kind) => kind != ProviderKinds.OpenAi;

    public override IResult? Prepare(JsonObject body, LedgerOptions ledger, out CallShape shape)
    {
        shape = null!;
        if (ReadModel(body, out var model) is { } invalidModel)
            return Errors.Invalid(invalidModel);
        if (ResponsesBody.Read(body, out var use, out var streaming) is { } invalid)
            return Errors.Invalid(invalid);
        shape = new CallShape(model, streaming, use, false);
        return null;
    }

    /// <summary>Enforces the cap the hold assumed; reasoning tokens count in it too.</summary>
    protected override void LimitOutput(JsonObject body, long tokens) => body["max_output_tokens"] = tokens;

    public override TokenUsage? ReadUsage(ReadOnlySpan<byte> body) => ResponsesUsage.TryRead(body);

    public override long GeneratedTextBytes(ReadOnlySpan<byte> body) => SumOver(body, "output", OutputBytes);

    public override IStreamObserver Observer(CallShape shape) => new ResponsesObserver();

    /// <summary>An output item's generated text: message parts, call arguments and inputs, reasoning summaries.</summary>
    private static long OutputBytes(JsonElement item)
    {
        if (item.ValueKind != JsonValueKind.Object)
            return 0;
        var bytes = Usage.TextBytes(item, "arguments") + Usage.TextBytes(item, "input");
        foreach (var list in (ReadOnlySpan<string>)["content", "summary"])
            if (item.TryGetProperty(list, out var parts) && parts.ValueKind == JsonValueKind.Array)
                foreach (var part in parts.EnumerateArray())
                    bytes += Usage.TextBytes(part, "text") + Usage.TextBytes(part, "refusal");
        return bytes;
    }
}
