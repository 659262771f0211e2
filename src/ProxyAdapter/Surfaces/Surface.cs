using System.Text.Json;
using System.Text.Json.Nodes;
using Governance.Domain.Access;
using Governance.Domain.Catalog;
using Governance.Domain.Usage;
using Governance.Hosting;
using ProxyAdapter.Streaming;
using ProxyAdapter.Translation;

namespace ProxyAdapter.Surfaces;

/// <summary>
/// What the gateway learnt from a request body: the model asked for, whether it streams, and what it lets the provider
/// bill (<see cref="Use"/>). Once fitted to its models (<see cref="Surface.Bound"/>): the output it may produce
/// (<see cref="MaxOutputTokens"/> per choice) and the hold that stands for it (<see cref="WorstCase"/>).
/// </summary>
public sealed record CallShape(string Model, bool Streaming, RequestedUse Use, bool DropUsageChunk)
{
    public long MaxOutputTokens { get; init; }
    public decimal WorstCase { get; init; }
    public long MaxOutput => checked(MaxOutputTokens * Use.Choices);
}

/// <summary>
/// One provider API the proxy offers (OpenAI chat completions, OpenAI embeddings, Anthropic messages): how its requests are
/// read and bounded, how the provider is called, where usage is in its answers, and how it says no.
/// </summary>
public abstract class Surface
{
    public abstract ApiFamily Family { get; }

    /// <summary>Which of the gateway's APIs this is: what provider kinds it reaches is <see cref="GatewayApis"/>' to say.</summary>
    public abstract GatewayApi Api { get; }

    /// <summary>Appended to the provider's base URL (which includes its version, e.g. <c>https://api.openai.com/v1</c>).</summary>
    public abstract string UpstreamPath { get; }

    public abstract ErrorShape Errors { get; }

    /// <summary>The translation layer's name for this API, when its calls may reach providers of another family; null when never translated.</summary>
    public virtual ClientApi? TranslatedAs => null;

    /// <summary>Whether a provider of <paramref name="kind"/> can serve this API: its own family, or one it is translated to (<see cref="GatewayApis"/>).</summary>
    public bool Reaches(string kind) => GatewayApis.Reaches(Api, kind);

    /// <summary>A route to a provider of <paramref name="kind"/> goes through the translation layer (docs/providers.md).</summary>
    public bool Translates(string kind) => TranslatedAs is not null && ProviderKinds.FamilyOf(kind) != Family;

    public virtual string? PresentedKey(HttpRequest request) => BearerToken.From(request);

    /// <summary>
    /// Reads the request strictly (<see cref="BodyFields"/>), adjusting <paramref name="body"/> for the provider; a refusal
    /// naming the field when it is unusable.
    /// </summary>
    public abstract IResult? Prepare(JsonObject body, LedgerOptions ledger, out CallShape shape);

    /// <summary>
    /// Fits the call to its models: more output than a <paramref name="requested"/> model (the one asked for, or each member
    /// of the group asked for) produces is refused; without a limit from the client the call may use the least of their
    /// maximums (<see cref="LimitOutput"/> tells the provider so); the hold is the worst case at the dearest
    /// <paramref name="reachable"/> model. A refusal in this API's shape when the request cannot be bounded.
    /// </summary>
    public IResult? Bound(
        JsonObject body, long inputBytes, IReadOnlyList<CandidateModel> requested, IEnumerable<CandidateModel> reachable, LedgerOptions ledger, ref CallShape shape)
    {
        var cap = long.MaxValue;
        foreach (var model in requested)
        {
            var (modelCap, tooMuch) = HoldSizing.OutputCap(shape.Use, model.Definition.Limits, ledger.DefaultMaxOutputTokens);
            if (tooMuch is not null)
                return Errors.Invalid(tooMuch);
            cap = Math.Min(cap, modelCap);
        }
        var worstCase = 0m;
        foreach (var model in reachable)
        {
            var (amount, unbounded) = HoldSizing.WorstCase(inputBytes, shape.Use, cap, model.Definition.Limits, model.Price, model.Definition.Id);
            if (unbounded is not null)
                return Errors.Invalid(unbounded);
            worstCase = Math.Max(worstCase, amount);
        }
        if (shape.Use is { Generates: true, MaxOutputTokens: null })
            LimitOutput(body, cap);
        shape = shape with { MaxOutputTokens = cap, WorstCase = worstCase };
        return null;
    }

    /// <summary>Asks the provider for at most <paramref name="tokens"/> output tokens per choice: the cap the hold assumed.</summary>
    protected virtual void LimitOutput(JsonObject body, long tokens)
    {
    }

    public abstract void Authenticate(HttpRequestMessage upstream, string apiKey, HttpRequest incoming, GatewayOptions options);

    /// <summary>The usage in a complete (non-streamed) answer, or null when it has none.</summary>
    public abstract TokenUsage? ReadUsage(ReadOnlySpan<byte> body);

    /// <summary>UTF-8 bytes of text a complete answer generated, for the estimate when it has no usage.</summary>
    public abstract long GeneratedTextBytes(ReadOnlySpan<byte> body);

    public abstract IStreamObserver Observer(CallShape shape);

    /// <summary>
    /// The model asked for: a string, not blank, and no longer than a model's name can be (the catalog's names, and the
    /// denials that record them, stop at <see cref="RequestDenied.MaxModelLength"/> characters).
    /// </summary>
    protected static InvalidParam? ReadModel(JsonObject body, out string model)
    {
        model = "";
        switch (body["model"])
        {
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                model = value.GetValue<string>();
                if (string.IsNullOrWhiteSpace(model))
                    return new InvalidParam("model", InvalidParam.Missing, "Missing required parameter: 'model'.");
                return model.Length <= RequestDenied.MaxModelLength ? null : new InvalidParam("model", InvalidParam.TooLong,
                    $"Invalid 'model': string too long. Expected a string with maximum length {RequestDenied.MaxModelLength}, but got a string with length {model.Length} instead.");
            case null:
                return new InvalidParam("model", InvalidParam.Missing, "Missing required parameter: 'model'.");
            case var other:
                return BodyFields.Expected("model", "a string", other);
        }
    }

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
}
