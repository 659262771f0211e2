using System.Text.Json.Nodes;

namespace ProxyAdapter.Translation.Chat;

/// <summary>
/// An OpenAI chat completions request, read strictly into what every provider's writer needs: the instructions (system and
/// developer messages, in order), the turns (user and assistant, tool results folded into the user turn that follows the
/// calls, consecutive turns of one role merged, as Anthropic, Gemini and Bedrock require alternation), sampling, tools and
/// the output format. Each piece keeps the request field it came from (<c>Param</c>), so a writer that cannot translate
/// it refuses naming that field.
/// </summary>
public sealed record ChatRequest
{
    public required IReadOnlyList<TextPart> Instructions { get; init; }
    public required IReadOnlyList<Turn> Turns { get; init; }
    public double? Temperature { get; init; }
    public double? TopP { get; init; }
    /// <summary>The larger of <c>max_tokens</c> and <c>max_completion_tokens</c>; <see cref="MaxTokensParam"/> names it.</summary>
    public long? MaxTokens { get; init; }
    public string MaxTokensParam { get; init; } = "max_completion_tokens";
    public IReadOnlyList<string> Stop { get; init; } = [];
    public int N { get; init; } = 1;
    public long? Seed { get; init; }
    public double PresencePenalty { get; init; }
    public double FrequencyPenalty { get; init; }
    public IReadOnlyList<ToolDefinition> Tools { get; init; } = [];
    public ToolChoice? ToolChoice { get; init; }
    public bool ParallelToolCalls { get; init; } = true;
    public ResponseFormat Format { get; init; } = ResponseFormat.Text;
    /// <summary><c>safety_identifier</c>, else <c>user</c>: who the end user is, for the provider's abuse monitoring.</summary>
    public string? User { get; init; }
    public string UserParam { get; init; } = "user";
    public bool Stream { get; init; }
    public bool IncludeUsage { get; init; }

    public bool HasToolHistory => Turns.Any(t => t.Parts.Any(p => p is ToolCallPart or ToolResultPart));
}

public enum Role
{
    User,
    Assistant,
}

public sealed record Turn(Role Role, IReadOnlyList<Part> Parts);

public abstract record Part(string Param);

public sealed record TextPart(string Text, string Param) : Part(Param);

public enum MediaKind
{
    Image,
    Document,
    Audio,
}

/// <summary>An image, PDF or audio clip: inline (<see cref="Base64"/> with its media type) or, for images, a <see cref="Url"/>.</summary>
public sealed record MediaPart(MediaKind Kind, string MediaType, string? Base64, string? Url, string? Filename, string Param) : Part(Param);

/// <summary>A call the assistant made earlier; <see cref="Arguments"/> is its arguments parsed (always a JSON object).</summary>
public sealed record ToolCallPart(string Id, string Name, JsonObject Arguments, string Param) : Part(Param);

/// <summary>A tool's answer (<c>role: tool</c>), as text; <see cref="Name"/> is the called function's, found from its call.</summary>
public sealed record ToolResultPart(string CallId, string Name, string Text, string Param) : Part(Param);

public sealed record ToolDefinition(string Name, string? Description, JsonObject Parameters, bool Strict, string Param);

public enum ToolChoiceMode
{
    Auto,
    None,
    Required,
    Named,
}

public sealed record ToolChoice(ToolChoiceMode Mode, string? Name = null);

public enum FormatKind
{
    Text,
    JsonObject,
    JsonSchema,
}

/// <summary><c>response_format</c>: plain text, JSON mode, or structured output with its schema.</summary>
public sealed record ResponseFormat(FormatKind Kind, string? Name = null, JsonObject? Schema = null, bool Strict = false, string? Description = null)
{
    public static readonly ResponseFormat Text = new(FormatKind.Text);
}
