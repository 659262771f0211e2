using System.Text.RegularExpressions;
using Governance.Domain.Keys;

namespace Governance.Scan.Detection;

/// <summary>
/// The shapes the scanner knows, in priority order: where two rules match overlapping text, the earlier one wins.
/// Sources of the shapes: our own <see cref="KeyFormat"/>; the providers' documentation (OpenAI keys start with
/// <c>sk-</c> or <c>sk-proj-</c> and carry <c>T3BlbkFJ</c>, base64 of "OpenAI"; Anthropic's start with <c>sk-ant-</c>;
/// AWS access key ids with AKIA/ASIA and 16 base32 characters; Google API keys with <c>AIza</c> and 35 more; Replicate
/// tokens are 40 characters starting with <c>r8_</c>). A shape without a prefix (Azure's 32 hex digits, AWS's secret
/// access key) is only taken next to a variable name that says what it is, and has low confidence.
/// </summary>
public static partial class SecretRules
{
    public const string VirtualKeyId = "governance-virtual-key";

    // Explicit ASCII boundaries rather than \b: decoded as Latin-1, a UTF-8 letter next to a key would count as a word character.
    private const string Before = "(?<![A-Za-z0-9_-])";
    private const string After = "(?![A-Za-z0-9_-])";

    public static IReadOnlyList<SecretRule> All { get; } =
    [
        new(VirtualKeyId, "GovernanceVirtualKey", "Governance virtual key",
            "A virtual key of this gateway (its CRC32 checksum validates). Revoke it: governance-scan --revoke, or POST /api/keys/{id}/revoke.",
            Confidence.High, VirtualKey(), ["gk_"]),
        new("anthropic-api-key", "AnthropicApiKey", "Anthropic API key",
            "An Anthropic API key. Rotate it in the Anthropic console, then update the provider registered in the gateway.",
            Confidence.High, Anthropic(), ["sk-ant-"]),
        new("openai-api-key", "OpenAiApiKey", "OpenAI API key",
            "An OpenAI API key (it carries OpenAI's T3BlbkFJ marker). Rotate it in the OpenAI dashboard.",
            Confidence.High, OpenAi(), ["sk-"]),
        new("openai-project-key", "OpenAiProjectKey", "OpenAI project or service-account key",
            "A string shaped like an OpenAI project, service-account or admin key, without the usual marker. Check and rotate it.",
            Confidence.Medium, OpenAiProject(), ["sk-"]),
        new("openai-legacy-key", "OpenAiLegacyKey", "OpenAI API key (legacy shape)",
            "A string shaped like an older OpenAI key (sk- and 48 letters or digits). Check and rotate it.",
            Confidence.Medium, OpenAiLegacy(), ["sk-"]),
        new("aws-access-key-id", "AwsAccessKeyId", "AWS access key id",
            "An AWS access key id (AKIA: long-lived, ASIA: temporary). Its secret access key is usually near it: deactivate the pair in IAM.",
            Confidence.High, AwsAccessKeyId(), ["AKIA", "ASIA", "ABIA", "ACCA"]),
        new("google-api-key", "GoogleApiKey", "Google API key",
            "A Google API key. Restrict or delete it in the Google Cloud console.",
            Confidence.High, GoogleApiKey(), ["AIza"]),
        new("replicate-api-token", "ReplicateApiToken", "Replicate API token",
            "A Replicate API token. Disable it at replicate.com/account/api-tokens.",
            Confidence.High, Replicate(), ["r8_"]),
        new("azure-api-key", "AzureApiKey", "API key next to an Azure/OpenAI variable name",
            "32 hexadecimal digits assigned to a variable named like an Azure or API key (Azure OpenAI and Cognitive Services keys have this shape). Lower confidence: check it.",
            Confidence.Low, AzureKey(), ["key", "secret", "token"], Contextual: true),
        new("aws-secret-access-key", "AwsSecretAccessKey", "AWS secret access key next to its variable name",
            "40 base64 characters assigned to a variable named like an AWS secret access key. Lower confidence: check it.",
            Confidence.Low, AwsSecretKey(), ["key"], Contextual: true),
    ];

    public static SecretRule Get(string id) => All.Single(r => r.Id == id);

    [GeneratedRegex(KeyFormat.ScannerPattern, RegexOptions.CultureInvariant)]
    private static partial Regex VirtualKey();

    [GeneratedRegex(Before + "(?<prefix>sk-ant-)(?:api|admin|sid)[0-9]{2}-[A-Za-z0-9_-]{32,}" + After, RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex Anthropic();

    [GeneratedRegex(Before + "(?<prefix>sk-(?!ant-)(?:proj-|svcacct-|admin-)?)[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,}" + After, RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex OpenAi();

    [GeneratedRegex(Before + "(?<prefix>sk-(?:proj|svcacct|admin)-)[A-Za-z0-9_-]{40,}" + After, RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex OpenAiProject();

    [GeneratedRegex(Before + "(?<prefix>sk-)[A-Za-z0-9]{48}" + After, RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex OpenAiLegacy();

    [GeneratedRegex("(?<![A-Za-z0-9])(?<prefix>AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Za-z0-9])", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex AwsAccessKeyId();

    [GeneratedRegex(Before + "(?<prefix>AIza)[A-Za-z0-9_-]{35}" + After, RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex GoogleApiKey();

    [GeneratedRegex("(?<![A-Za-z0-9_])(?<prefix>r8_)[A-Za-z0-9]{37}(?![A-Za-z0-9_])", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex Replicate();

    // AZURE_OPENAI_API_KEY=…, "api-key": "…", Ocp-Apim-Subscription-Key: …, azure_key = '…'
    [GeneratedRegex(@"(?i:(?:azure|openai|cognitive|ocp-apim)[A-Za-z0-9_.-]{0,40}?(?:key|secret|token)|api[_-]?key)[A-Za-z0-9_]*[""']?[ \t]*[:=][ \t]*[""']?(?<secret>[0-9a-fA-F]{32})(?![0-9A-Za-z])",
        RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex AzureKey();

    [GeneratedRegex(@"(?i:aws_?secret(?:_?access)?_?key)[""']?[ \t]*[:=][ \t]*[""']?(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex AwsSecretKey();
}
