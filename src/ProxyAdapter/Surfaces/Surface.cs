using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Catalog;
using Governance.Domain.Usage;
using Governance.Projections.Hosting;
using ProxyAdapter.Streaming;

namespace ProxyAdapter.Surfaces;

/// <summary>
/// What the gateway learnt from a request body: the model asked for, whether it streams, and the output it may produce
/// (<see cref="MaxOutputTokens"/> per choice, <see cref="Choices"/> choices), which bounds the hold.
/// </summary>
public sealed record CallShape(string Model, bool Streaming, long MaxOutputTokens, int Choices, bool DropUsageChunk)
{
    public long MaxOutput => MaxOutputTokens * Choices;
}

/// <summary>
/// One provider API the proxy offers (OpenAI chat completions, OpenAI embeddings, Anthropic messages): how its requests are
/// read and bounded, how the provider is called, where usage is in its answers, and how it says no.
/// </summary>
public abstract class Surface
{
    public abstract ApiFamily Family { get; }

    /// <summary>Appended to the provider's base URL (which includes its version, e.g. <c>https://api.openai.com/v1</c>).</summary>
    public abstract string UpstreamPath { get; }

    public abstract ErrorShape Errors { get; }

    public virtual string? PresentedKey(HttpRequest request) => BearerToken.From(request);

    /// <summary>Reads and bounds the request, adjusting <paramref name="body"/> for the provider; a refusal when it is unusable.</summary>
    public abstract IResult? Prepare(JsonObject body, LedgerOptions ledger, out CallShape shape);

    public abstract void Authenticate(HttpRequestMessage upstream, string apiKey, HttpRequest incoming, GatewayOptions options);

    /// <summary>The usage in a complete (non-streamed) answer, or null when it has none.</summary>
    public abstract TokenUsage? ReadUsage(ReadOnlySpan<byte> body);

    /// <summary>UTF-8 bytes of text a complete answer generated, for the estimate when it has no usage.</summary>
    public abstract long GeneratedTextBytes(ReadOnlySpan<byte> body);

    public abstract IStreamObserver Observer(CallShape shape);

    protected static string? Model(JsonObject body) =>
        body["model"] is JsonValue node && node.TryGetValue(out string? model) && !string.IsNullOrWhiteSpace(model) ? model : null;

    /// <summary>
    /// Sums <paramref name="bytesOf"/> over the items of the answer's top-level array <paramref name="arrayName"/>
    /// (choices, content blocks); 0 when the answer is not JSON of that shape.
    /// </summary>
    protected static long SumOver(ReadOnlySpan<byte> body, string arrayName, Func<JsonElement, long> bytesOf)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(arrayName, out var items)
                && items.ValueKind == JsonValueKind.Array
                    ? items.EnumerateArray().Sum(bytesOf)
                    : 0;
        }
        catch (JsonException)
        {
            return 0;
        }
    }

    protected static bool Flag(JsonObject body, string name) => body[name] is JsonValue value && value.TryGetValue(out bool flag) && flag;

    protected static long? PositiveLong(JsonObject body, string name) =>
        body[name] is JsonValue value && value.TryGetValue(out long number) && number > 0 ? number : null;
}
