using Governance.Domain.Usage;

namespace ProxyAdapter.Translation.Chat;

/// <summary>What a provider kind can carry beyond the common core; a request that needs more is refused naming the field.</summary>
[Flags]
public enum Capability
{
    None = 0,
    /// <summary><c>n</c> &gt; 1.</summary>
    Choices = 1,
    Seed = 2,
    /// <summary><c>presence_penalty</c>, <c>frequency_penalty</c>.</summary>
    Penalties = 4,
    /// <summary><c>user</c> / <c>safety_identifier</c>.</summary>
    EndUser = 8,
    /// <summary><c>parallel_tool_calls: false</c>.</summary>
    OneToolCall = 16,
    /// <summary>Images by http(s) URL, fetched by the provider (the gateway never fetches one).</summary>
    UrlImages = 32,
    Audio = 64,
    /// <summary><c>temperature</c> above 1 (up to OpenAI's 2).</summary>
    HotTemperature = 128,
}

/// <summary>The one place that refuses what a kind lacks; each request writer declares its kind's <see cref="Capability"/>s.</summary>
public static class Capabilities
{
    public const Capability Anthropic = Capability.EndUser | Capability.OneToolCall | Capability.UrlImages;
    public const Capability Gemini = Capability.Choices | Capability.Seed | Capability.Penalties | Capability.Audio | Capability.HotTemperature;
    public const Capability Bedrock = Capability.HotTemperature;

    public static InvalidParam? Check(ChatRequest request, string kind, Capability has)
    {
        if (request.N != 1 && !has.HasFlag(Capability.Choices))
            return Refusals.UnsupportedValue("n", kind, "must be 1 (one choice per request)");
        if (request.Temperature > 1 && !has.HasFlag(Capability.HotTemperature))
            return Refusals.UnsupportedValue("temperature", kind, "must be between 0 and 1");
        if (request.Seed is not null && !has.HasFlag(Capability.Seed))
            return Refusals.Unsupported("seed", kind);
        if (request.PresencePenalty != 0 && !has.HasFlag(Capability.Penalties))
            return Refusals.Unsupported("presence_penalty", kind);
        if (request.FrequencyPenalty != 0 && !has.HasFlag(Capability.Penalties))
            return Refusals.Unsupported("frequency_penalty", kind);
        if (request.User is not null && !has.HasFlag(Capability.EndUser))
            return Refusals.Unsupported(request.UserParam, kind, "it has no field for the end user");
        if (!request.ParallelToolCalls && request.Tools.Count > 0 && !has.HasFlag(Capability.OneToolCall))
            return Refusals.Unsupported("parallel_tool_calls", kind, "it cannot be told to make one call at most");
        if (request.Tools.FirstOrDefault(t => t.Strict) is { } strict)
            return Refusals.Unsupported(strict.Param + ".function.strict", kind, "strict schema adherence is not translated");
        foreach (var part in request.Turns.SelectMany(t => t.Parts))
            switch (part)
            {
                case MediaPart { Url: not null } when !has.HasFlag(Capability.UrlImages):
                    return new InvalidParam(part.Param + ".image_url.url", Refusals.UnsupportedParameter,
                        $"Unsupported parameter: '{part.Param}.image_url.url' is a URL; {Refusals.Describe(kind)} takes images inline, so send it as a base64 data URL (this gateway does not fetch URLs).");
                case MediaPart { Kind: MediaKind.Audio } when !has.HasFlag(Capability.Audio):
                    return Refusals.Unsupported(part.Param, kind, "audio input is not accepted there");
            }
        return null;
    }
}
