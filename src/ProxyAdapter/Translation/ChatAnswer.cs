using Governance.Domain.Usage;

namespace ProxyAdapter.Translation;

/// <summary>Why a choice ended, in OpenAI's four words; every provider's reason maps onto one of them.</summary>
public enum Finish
{
    Stop,
    Length,
    ToolCalls,
    ContentFilter,
}

/// <summary>
/// A provider's answer in one neutral form, between the decoder of the provider's shape and the encoder of the client's:
/// each provider is read once and each client API written once, whatever the pair.
/// </summary>
public sealed record ChatAnswer(string? Id, IReadOnlyList<AnswerChoice> Choices, ProviderUsage? Usage);

public sealed record AnswerChoice(int Index, string? Text, IReadOnlyList<AnswerToolCall> ToolCalls, Finish Finish);

/// <summary>A function call: <see cref="Arguments"/> is JSON text, as OpenAI carries it.</summary>
public sealed record AnswerToolCall(string Id, string Name, string Arguments);

/// <summary>
/// Token counts as a provider bills them. <see cref="Input"/> is every prompt token, cache reads and writes included (as
/// OpenAI counts); <see cref="CacheRead"/> and <see cref="CacheWrite"/> are parts of it; <see cref="Reasoning"/> is the part of
/// <see cref="Output"/> spent thinking. Every count is clamped to [0, <see cref="Pricing.MaxTokens"/>].
/// </summary>
public readonly record struct ProviderUsage(long Input, long CacheRead, long CacheWrite, long Output, long Reasoning)
{
    /// <summary>From counts whose input excludes the cache (Anthropic, Bedrock): the three are added up.</summary>
    public static ProviderUsage FromUncached(long uncached, long cacheRead, long cacheWrite, long output, long reasoning = 0)
    {
        uncached = Clamp(uncached);
        cacheRead = Clamp(cacheRead);
        cacheWrite = Clamp(cacheWrite);
        return Of(checked(uncached + cacheRead + cacheWrite), cacheRead, cacheWrite, output, reasoning);
    }

    /// <summary>From counts whose input includes the cache (OpenAI, Gemini); parts never exceed their totals.</summary>
    public static ProviderUsage Of(long input, long cacheRead, long cacheWrite, long output, long reasoning)
    {
        input = Clamp(input);
        output = Clamp(output);
        cacheRead = Math.Min(Clamp(cacheRead), input);
        cacheWrite = Math.Min(Clamp(cacheWrite), input - cacheRead);
        return new ProviderUsage(input, cacheRead, cacheWrite, output, Math.Min(Clamp(reasoning), output));
    }

    /// <summary>The ledger's counts (cache writes are priced as input there until the catalog has a cache-write price).</summary>
    public TokenUsage Tokens => new(Input, CacheRead, Output, Reasoning);

    /// <summary>Prompt tokens neither read from nor written to the cache: Anthropic's <c>input_tokens</c>.</summary>
    public long Uncached => Input - CacheRead - CacheWrite;

    private static long Clamp(long count) => Math.Clamp(count, 0, Pricing.MaxTokens);
}

/// <summary>One step of a streamed answer, in the neutral form between a provider's stream and the client's.</summary>
public abstract record ChatEvent;

/// <summary>The provider's answer began (its id, when it gives one).</summary>
public sealed record AnswerStarted(string? Id) : ChatEvent;

public sealed record TextDelta(int Choice, string Text) : ChatEvent;

/// <summary>A function call began: <see cref="Index"/> counts the calls of its choice from 0.</summary>
public sealed record ToolCallStarted(int Choice, int Index, string Id, string Name) : ChatEvent;

public sealed record ToolArgumentsDelta(int Choice, int Index, string Fragment) : ChatEvent;

public sealed record ChoiceFinished(int Choice, Finish Reason) : ChatEvent;

/// <summary>Usage so far; a later report replaces an earlier one.</summary>
public sealed record UsageReported(ProviderUsage Usage) : ChatEvent;

/// <summary>The provider reported an error mid-stream: the stream ends after it, without a normal end.</summary>
public sealed record StreamFailed(ProviderError Error) : ChatEvent;

/// <summary>
/// A provider's refusal or failure in neutral terms: the HTTP status the client should see, OpenAI's error
/// <see cref="Type"/> for it, a machine <see cref="Code"/> (the provider's own where it has one), and the message.
/// </summary>
public sealed record ProviderError(int Status, string Type, string? Code, string Message);
