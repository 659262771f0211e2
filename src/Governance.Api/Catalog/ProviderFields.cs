using System.Text.RegularExpressions;
using Governance.Domain.Catalog;

namespace Governance.Api.Catalog;

/// <summary>
/// Bedrock's credentials as an operator sends them: <c>{"accessKeyId", "secretAccessKey", "sessionToken"}</c> (the token
/// only for temporary credentials). Never echoed, never logged (<see cref="ToString"/> names the id only).
/// </summary>
public sealed record AwsKeysInput(string? AccessKeyId, string? SecretAccessKey, string? SessionToken = null)
{
    public override string ToString() => $"AwsKeysInput {{ AccessKeyId = {AccessKeyId} }}";
}

/// <summary>
/// Which fields each provider kind takes, and their form: every problem names its field (<c>apiKey</c>, <c>aws.secretAccessKey</c>,
/// <c>region</c>, …). A field a kind does not use is refused rather than ignored, so a mistaken kind is noticed at once.
/// </summary>
public static partial class ProviderFields
{
    public const int MaxKeyLength = 4096;

    public static IEnumerable<(string Field, string Message)> Problems(
        string? kind, string? baseUrl, string? apiKey, string? apiVersion, string? region, AwsKeysInput? aws)
    {
        if (kind is null || !ProviderKinds.All.Contains(kind))
            yield break;
        if (ProviderSecret.IsStructured(kind))
        {
            if (apiKey is not null)
                yield return ("apiKey", $"A '{kind}' provider signs with 'aws' credentials, not an 'apiKey'.");
            foreach (var problem in AwsProblems(aws))
                yield return problem;
        }
        else
        {
            if (string.IsNullOrEmpty(apiKey))
                yield return ("apiKey", "'apiKey' must not be empty.");
            else if (apiKey.Length > MaxKeyLength)
                yield return ("apiKey", $"'apiKey' must be {MaxKeyLength} characters or fewer.");
            if (aws is not null)
                yield return ("aws", $"Only a 'bedrock' provider takes 'aws' credentials; a '{kind}' provider takes an 'apiKey'.");
        }

        if (kind == ProviderKinds.AzureOpenAi)
        {
            if (apiVersion is not null && !ApiVersionForm().IsMatch(apiVersion))
                yield return ("apiVersion", "'apiVersion' is Azure OpenAI's api-version, a date like '2024-10-21' (or '2025-04-01-preview'); leave it out for Azure's v1 API.");
            // The gateway appends /openai/...: a base URL that already has it would double it.
            if (baseUrl is not null && Uri.TryCreate(baseUrl.TrimEnd('/'), UriKind.Absolute, out var azure) && azure.AbsolutePath.TrimEnd('/').EndsWith("/openai", StringComparison.OrdinalIgnoreCase)
                || baseUrl?.TrimEnd('/').EndsWith("/openai/v1", StringComparison.OrdinalIgnoreCase) == true)
                yield return ("baseUrl", "'baseUrl' is the Azure resource's root (https://{resource}.openai.azure.com), without '/openai'.");
        }
        else if (apiVersion is not null)
            yield return ("apiVersion", $"Only an 'azure-openai' provider takes 'apiVersion'.");

        if (kind == ProviderKinds.Bedrock)
        {
            if (string.IsNullOrEmpty(region))
                yield return ("region", "A 'bedrock' provider needs its AWS 'region' (e.g. 'us-east-1'): it scopes every signature.");
            else if (!RegionForm().IsMatch(region))
                yield return ("region", "'region' must be an AWS region name like 'us-east-1' or 'eu-central-1'.");
        }
        else if (region is not null)
            yield return ("region", "Only a 'bedrock' provider takes 'region'.");
    }

    /// <summary>What a Bedrock key rotation (or registration) must send: both halves of the pair, of AWS's form.</summary>
    public static IEnumerable<(string Field, string Message)> AwsProblems(AwsKeysInput? aws)
    {
        if (aws is null)
        {
            yield return ("aws", "A 'bedrock' provider needs 'aws': {\"accessKeyId\", \"secretAccessKey\", \"sessionToken\" (optional)}.");
            yield break;
        }
        if (string.IsNullOrEmpty(aws.AccessKeyId) || !AccessKeyIdForm().IsMatch(aws.AccessKeyId))
            yield return ("aws.accessKeyId", "'aws.accessKeyId' must be an AWS access key id: 16 to 128 upper-case letters and digits (AKIA…, ASIA…).");
        if (string.IsNullOrEmpty(aws.SecretAccessKey))
            yield return ("aws.secretAccessKey", "'aws.secretAccessKey' must not be empty.");
        else if (aws.SecretAccessKey.Length > 128 || aws.SecretAccessKey.Any(char.IsWhiteSpace))
            yield return ("aws.secretAccessKey", "'aws.secretAccessKey' must be at most 128 characters, without spaces.");
        if (aws.SessionToken is { } token && (token.Length is 0 or > MaxKeyLength || token.Any(char.IsWhiteSpace)))
            yield return ("aws.sessionToken", $"'aws.sessionToken' must be 1 to {MaxKeyLength} characters without spaces, or left out.");
    }

    /// <summary>The secret to encrypt: the API key, or Bedrock's keys as one JSON string (checked first by <see cref="Problems"/>).</summary>
    public static string Secret(string kind, string? apiKey, AwsKeysInput? aws) =>
        ProviderSecret.IsStructured(kind)
            ? ProviderSecret.Of(new AwsKeys(aws!.AccessKeyId!, aws.SecretAccessKey!, aws.SessionToken))
            : apiKey!;

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(-preview)?$")]
    private static partial Regex ApiVersionForm();

    [GeneratedRegex(@"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}$")]
    private static partial Regex RegionForm();

    [GeneratedRegex(@"^[A-Z0-9]{16,128}$")]
    private static partial Regex AccessKeyIdForm();
}
