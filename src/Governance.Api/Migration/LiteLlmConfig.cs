using System.Globalization;
using Governance.Hosting.Outbound;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Governance.Api.Migration;

/// <summary>One <c>model_list</c> entry of a LiteLLM proxy config, its <c>os.environ/NAME</c> key already resolved.</summary>
public sealed record LiteLlmEntry(
    int Index, int Line, string ModelName, string Prefix, string UpstreamModel, string? ApiBase, string? ApiKey, string? ApiKeySource,
    int Weight, decimal? InputPer1M, decimal? OutputPer1M, decimal? CachedInputPer1M)
{
    public string Field => $"model_list[{Index}]";

    /// <summary>The line of <c>api_base</c>, when the entry has one.</summary>
    public int? ApiBaseLine { get; init; }

    /// <summary>Azure's <c>api_version</c>.</summary>
    public string? ApiVersion { get; init; }

    /// <summary>Bedrock's <c>aws_region_name</c>.</summary>
    public string? AwsRegion { get; init; }

    /// <summary>Bedrock's <c>aws_access_key_id</c>, <c>aws_secret_access_key</c> and <c>aws_session_token</c>, resolved like <c>api_key</c>.</summary>
    public AwsKeyParts? Aws { get; init; }
}

/// <summary>An entry's AWS keys (any part may be missing: the import says which) and where the secret came from.</summary>
public sealed record AwsKeyParts(string? AccessKeyId, string? SecretAccessKey, string? SessionToken, string? Source)
{
    public override string ToString() => $"AwsKeyParts {{ AccessKeyId = {AccessKeyId}, Source = {Source} }}";
}

/// <summary>The config cannot be read: the field (as a path into the YAML) and line at fault.</summary>
public sealed class LiteLlmConfigException(string field, int? line, string message)
    : Exception(line is { } l ? $"line {l}: {message}" : message)
{
    public string Field { get; } = field;
    public int? Line { get; } = line;
}

/// <summary>
/// Reads the part of a LiteLLM proxy <c>config.yaml</c> we migrate: <c>model_list</c> with each entry's
/// <c>model_name</c>, <c>litellm_params</c> (<c>model</c>, <c>api_base</c>, <c>api_key</c>, <c>weight</c>, costs; Azure's
/// <c>api_version</c>; Bedrock's <c>aws_region_name</c>, <c>aws_access_key_id</c>, <c>aws_secret_access_key</c>,
/// <c>aws_session_token</c>, each may be <c>os.environ/NAME</c> under the same allow-list as keys) and
/// <c>model_info</c> costs. Everything else in the file (router, general and litellm settings) is ignored.
/// </summary>
public static class LiteLlmConfig
{
    public const string EnvPrefix = "os.environ/";

    /// <summary>A LiteLLM config nests five levels or so; far more is an attack on the YAML reader.</summary>
    public const int MaxDepth = 32;

    private const decimal TokensPerMillion = 1_000_000m;

    /// <exception cref="LiteLlmConfigException">Not YAML, no model_list, a required field missing, an environment variable that
    /// is unset or that the import may not read (<see cref="ImportEnvironment"/>).</exception>
    public static IReadOnlyList<LiteLlmEntry> Parse(string yaml, ImportEnvironment environment)
    {
        var stream = new YamlStream();
        try
        {
            EnsureShallow(yaml);
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new LiteLlmConfigException("config", (int)e.Start.Line, "not valid YAML: " + e.Message);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new LiteLlmConfigException("config", null, "the config must be a YAML mapping with a model_list.");
        if (Child(root, "model_list") is not YamlSequenceNode list)
            throw new LiteLlmConfigException("model_list", Line(root), "'model_list' is missing or not a list.");

        var entries = new List<LiteLlmEntry>();
        for (var i = 0; i < list.Children.Count; i++)
            entries.Add(Entry(i, list.Children[i], environment));
        return entries;
    }

    /// <summary>
    /// YamlDotNet's document model builds nested nodes recursively: ten thousand nested brackets overflow the stack and
    /// end the process. Its parser is iterative, so the depth is measured with it first.
    /// </summary>
    private static void EnsureShallow(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        var depth = 0;
        while (parser.MoveNext())
        {
            if (parser.Current is SequenceStart or MappingStart && ++depth > MaxDepth)
                throw new LiteLlmConfigException("config", (int)parser.Current.Start.Line, $"nested deeper than {MaxDepth} levels.");
            if (parser.Current is SequenceEnd or MappingEnd)
                depth--;
        }
    }

    private static LiteLlmEntry Entry(int index, YamlNode node, ImportEnvironment environment)
    {
        var field = $"model_list[{index}]";
        if (node is not YamlMappingNode entry)
            throw new LiteLlmConfigException(field, Line(node), $"'{field}' must be a mapping.");
        var name = Required(entry, "model_name", field);
        if (Child(entry, "litellm_params") is not YamlMappingNode parameters)
            throw new LiteLlmConfigException(field + ".litellm_params", Line(entry), $"'{field}.litellm_params' is missing.");
        var info = Child(entry, "model_info") as YamlMappingNode;
        var paramsField = field + ".litellm_params";

        var model = Required(parameters, "model", paramsField);
        var slash = model.IndexOf('/');
        var (prefix, upstream) = slash < 0 ? ("openai", model) : (model[..slash], model[(slash + 1)..]);
        // LiteLLM's "bedrock/converse/<model id>" names the API the gateway always uses for Bedrock.
        if (prefix == "bedrock" && upstream.StartsWith("converse/", StringComparison.Ordinal))
            upstream = upstream["converse/".Length..];

        var (apiKey, apiKeySource) = Key(parameters, paramsField, environment);
        var apiBase = Resolve(Optional(parameters, "api_base", paramsField), paramsField + ".api_base", Line(Child(parameters, "api_base")), environment);
        if (apiBase is not null && !(Uri.TryCreate(apiBase, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
            throw new LiteLlmConfigException(paramsField + ".api_base", Line(Child(parameters, "api_base")), $"'{paramsField}.api_base' must be an absolute http(s) URL.");

        var weightText = Optional(parameters, "weight", paramsField);
        var weight = 1;
        if (weightText is not null && !int.TryParse(weightText, NumberStyles.Integer, CultureInfo.InvariantCulture, out weight))
            throw new LiteLlmConfigException(paramsField + ".weight", Line(Child(parameters, "weight")), $"'{paramsField}.weight' must be a whole number.");

        decimal? Cost(string key) =>
            PerMillion(parameters, key, paramsField) ?? (info is null ? null : PerMillion(info, key, field + ".model_info"));

        string? Setting(string key) => Resolve(Optional(parameters, key, paramsField), $"{paramsField}.{key}", Line(Child(parameters, key)), environment);
        AwsKeyParts? aws = null;
        if (Child(parameters, "aws_access_key_id") is not null || Child(parameters, "aws_secret_access_key") is not null)
        {
            var secretText = Optional(parameters, "aws_secret_access_key", paramsField);
            aws = new AwsKeyParts(Setting("aws_access_key_id"), Setting("aws_secret_access_key"), Setting("aws_session_token"),
                secretText is null ? null : secretText.StartsWith(EnvPrefix, StringComparison.Ordinal) ? "env:" + secretText[EnvPrefix.Length..] : "config file");
        }

        return new LiteLlmEntry(index, Line(entry) ?? 0, name, prefix, upstream, apiBase, apiKey, apiKeySource, weight,
            Cost("input_cost_per_token"), Cost("output_cost_per_token"), Cost("cache_read_input_token_cost"))
        {
            ApiBaseLine = Line(Child(parameters, "api_base")),
            ApiVersion = Setting("api_version"),
            AwsRegion = Setting("aws_region_name"),
            Aws = aws,
        };
    }

    /// <summary>The key, from <c>os.environ/NAME</c> or written in the file; where it came from is shown, the key never.</summary>
    private static (string? Key, string? Source) Key(YamlMappingNode parameters, string field, ImportEnvironment environment)
    {
        var text = Optional(parameters, "api_key", field);
        if (text is null)
            return (null, null);
        var key = Resolve(text, field + ".api_key", Line(Child(parameters, "api_key")), environment);
        return (key, text.StartsWith(EnvPrefix, StringComparison.Ordinal) ? "env:" + text[EnvPrefix.Length..] : "config file");
    }

    private static string? Resolve(string? text, string field, int? line, ImportEnvironment environment)
    {
        if (text is null || !text.StartsWith(EnvPrefix, StringComparison.Ordinal))
            return text;
        var variable = text[EnvPrefix.Length..];
        if (environment.Refusal(variable) is { } refused)
            throw new LiteLlmConfigException(field, line, $"'{field}' refers to the environment variable {variable}, {refused}.");
        var value = environment.Read(variable);
        return string.IsNullOrEmpty(value)
            ? throw new LiteLlmConfigException(field, line, $"'{field}' refers to the environment variable {variable}, which is not set.")
            : value;
    }

    /// <summary>
    /// Each <c>api_base</c> against the outbound address policy, as <c>POST /api/providers</c> checks a base URL: the
    /// proxy will send the entry's key there.
    /// </summary>
    /// <exception cref="LiteLlmConfigException">An <c>api_base</c> the gateway may not call, naming the entry.</exception>
    public static async Task CheckUrlsAsync(IReadOnlyList<LiteLlmEntry> entries, OutboundPolicy outbound, CancellationToken ct)
    {
        foreach (var entry in entries.Where(e => e.ApiBase is not null))
        {
            var field = entry.Field + ".litellm_params.api_base";
            if (await outbound.UrlRefusalAsync(entry.ApiBase, ct) is { } refused)
                throw new LiteLlmConfigException(field, entry.ApiBaseLine, $"'{field}' {refused}.");
        }
    }

    private static decimal? PerMillion(YamlMappingNode node, string key, string field)
    {
        var text = Optional(node, key, field);
        if (text is null)
            return null;
        if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var perToken) || perToken < 0)
            throw new LiteLlmConfigException($"{field}.{key}", Line(Child(node, key)), $"'{field}.{key}' must be a non-negative number (USD per token).");
        return perToken * TokensPerMillion;
    }

    private static string Required(YamlMappingNode node, string key, string field) =>
        Optional(node, key, field) is { Length: > 0 } value
            ? value
            : throw new LiteLlmConfigException($"{field}.{key}", Line(node), $"'{field}.{key}' is missing.");

    private static string? Optional(YamlMappingNode node, string key, string field) => Child(node, key) switch
    {
        null => null,
        YamlScalarNode { Value: var value } => string.IsNullOrWhiteSpace(value) || value is "null" or "~" ? null : value.Trim(),
        var other => throw new LiteLlmConfigException($"{field}.{key}", Line(other), $"'{field}.{key}' must be a single value."),
    };

    private static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static int? Line(YamlNode? node) => node is null ? null : (int)node.Start.Line;
}
