using System.Text.Json.Nodes;

namespace ProxyAdapter.Translation;

/// <summary>
/// The provider kinds the translation layer speaks. The catalog knows <c>openai</c>, <c>openai-compatible</c> and
/// <c>anthropic</c> today; <c>azure-openai</c>, <c>gemini</c> and <c>bedrock</c> are added when this layer is wired in
/// (docs/providers.md, "What still needs wiring").
/// </summary>
public static class TargetKinds
{
    public const string OpenAi = "openai";
    public const string OpenAiCompatible = "openai-compatible";
    public const string AzureOpenAi = "azure-openai";
    public const string Anthropic = "anthropic";
    public const string Gemini = "gemini";
    public const string Bedrock = "bedrock";

    public static readonly IReadOnlyList<string> All = [OpenAi, OpenAiCompatible, AzureOpenAi, Anthropic, Gemini, Bedrock];

    /// <summary>Kinds whose chat body is OpenAI's own: a chat request reaches them unchanged.</summary>
    public static bool SpeaksOpenAiChat(string kind) => kind is OpenAi or OpenAiCompatible or AzureOpenAi;
}

/// <summary>The API a client called: what the request is read as, and what shape its answer and errors take.</summary>
public enum ClientApi
{
    ChatCompletions,
    Messages,
    Responses,
}

/// <summary>
/// Where one attempt goes: the provider's kind, the model's name there (for <c>azure-openai</c>, the deployment name), and
/// the kind's settings. Paths in <see cref="UpstreamCall"/> are relative to the provider's base URL:
/// <c>https://api.openai.com/v1</c>, <c>https://api.anthropic.com/v1</c>,
/// <c>https://generativelanguage.googleapis.com/v1beta</c>, <c>https://bedrock-runtime.{region}.amazonaws.com</c>,
/// <c>https://{resource}.openai.azure.com</c>.
/// </summary>
public sealed record ModelTarget(string Kind, string UpstreamModel)
{
    /// <summary>Azure OpenAI's <c>api-version</c> (e.g. <c>2024-10-21</c>); null for Azure's v1 API (<c>/openai/v1/…</c>).</summary>
    public string? AzureApiVersion { get; init; }

    /// <summary>Bedrock's AWS region (<c>us-east-1</c>, …): its host and its SigV4 scope.</summary>
    public string? AwsRegion { get; init; }

    /// <summary>The <c>anthropic-version</c> header sent to Anthropic when the client did not send one.</summary>
    public string AnthropicVersion { get; init; } = "2023-06-01";

    /// <summary>Anthropic requires <c>max_tokens</c>: the output cap sent when the request named none (the gateway's hold cap).</summary>
    public long DefaultMaxTokens { get; init; } = 4096;
}

/// <summary>
/// The call to make for one attempt: <see cref="Path"/> (with its query) relative to the provider's base URL, the headers
/// that are not credentials (those are added by <see cref="ProviderAuth"/>), and the body. <see cref="Passthrough"/>: the
/// provider speaks the client's API, so its answer, stream and errors go back unchanged.
/// </summary>
public sealed record UpstreamCall(ClientApi Api, ModelTarget Target, string Path, JsonObject Body, bool Streaming)
{
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];
    public bool Passthrough { get; init; }

    /// <summary>The client asked for the usage chunk (<c>stream_options.include_usage</c>); usage is read either way.</summary>
    public bool IncludeUsage { get; init; }

    /// <summary>How many choices the client asked for (<c>n</c>): a stream is whole when each has finished.</summary>
    public int Choices { get; init; } = 1;

    /// <summary>Structured output emulated through this forced tool: its call is the answer's text (docs/providers.md).</summary>
    public string? JsonTool { get; init; }

    /// <summary>A Responses request's fields the response object echoes (instructions, tools, text, metadata, …).</summary>
    public JsonObject? Echo { get; init; }
}

/// <summary>
/// What the gateway stamps on a translated answer: <see cref="Id"/> (its request id, so response ids are unique and
/// traceable), the <see cref="Model"/> name the client asked for, and <see cref="Created"/> (unix seconds, from the injected clock).
/// </summary>
public readonly record struct AnswerStamp(string Id, string Model, long Created);
