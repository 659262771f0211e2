using Governance.Domain.Usage;

namespace ProxyAdapter.Translation;

/// <summary>
/// The 400s of translation, each naming the request field at fault (<c>param</c> in OpenAI's shape, the start of the
/// message in Anthropic's). A parameter at its default value is dropped; any other value that cannot be carried to the
/// provider is refused here, never silently dropped.
/// </summary>
public static class Refusals
{
    public const string UnsupportedParameter = "unsupported_parameter";
    public const string UnsupportedValueCode = "unsupported_value";
    public const string UnknownParameter = "unknown_parameter";
    public const string InvalidValue = "invalid_value";

    public static InvalidParam Unsupported(string param, string kind) =>
        new(param, UnsupportedParameter, $"Unsupported parameter: '{param}' cannot be translated for a model served by {Describe(kind)}.");

    public static InvalidParam Unsupported(string param, string kind, string why) =>
        new(param, UnsupportedParameter, $"Unsupported parameter: '{param}' cannot be translated for a model served by {Describe(kind)}: {why}.");

    public static InvalidParam UnsupportedValue(string param, string kind, string why) =>
        new(param, UnsupportedValueCode, $"Unsupported value: '{param}' {why} for a model served by {Describe(kind)}.");

    public static InvalidParam Unknown(string param) =>
        new(param, UnknownParameter, $"Unrecognized request argument supplied: {param}");

    public static InvalidParam Invalid(string param, string why) => new(param, InvalidValue, $"Invalid value for '{param}': {why}.");

    /// <summary>How messages name a provider kind: "Anthropic's Messages API", …</summary>
    public static string Describe(string kind) => kind switch
    {
        TargetKinds.Anthropic => "Anthropic's Messages API",
        TargetKinds.Gemini => "Google's Gemini API",
        TargetKinds.Bedrock => "AWS Bedrock's Converse API",
        TargetKinds.AzureOpenAi => "Azure OpenAI",
        _ => "OpenAI's Chat Completions API",
    };
}
