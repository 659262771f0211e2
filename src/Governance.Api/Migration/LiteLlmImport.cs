using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Governance.Api.Catalog;
using Governance.Domain.Catalog;
using Governance.Domain.Pricing;
using Governance.Domain.Secrets;
using Governance.Domain.Usage;
using Governance.Hosting.Secrets;
using Marten;

namespace Governance.Api.Migration;

/// <summary>What the import does with one thing: <c>create</c>, <c>unchanged</c> (already there, as the config says),
/// <c>conflict</c> (already there, differently: left as it is) or <c>skip</c> (not supported, with the reason).</summary>
public static class ImportActions
{
    public const string Create = "create", Unchanged = "unchanged", Conflict = "conflict", Skip = "skip";
}

/// <summary>A provider the config needs. The API key is never shown: <see cref="ApiKeyFrom"/> says where it came from.</summary>
public sealed record PlannedProvider(string Name, string Kind, string BaseUrl, string? ApiKeyFrom, string Action, string? Note)
{
    /// <summary>The secret to store: the API key, or Bedrock's keys as one (<see cref="ProviderSecret"/>).</summary>
    [JsonIgnore] public string ApiKey { get; init; } = "";

    /// <summary>Azure's api-version, Bedrock's region (shown: neither is secret).</summary>
    public ProviderSettings? Settings { get; init; }
}

public sealed record PlannedModel(
    string Name, IReadOnlyList<Deployment> Deployments, decimal? InputPer1M, decimal? OutputPer1M, decimal? CachedInputPer1M, string Action, string? Note);

public sealed record SkippedEntry(string Field, int Line, string ModelName, string Reason);

/// <summary>The import's answer: everything it would create (dry run) or created (<see cref="Applied"/>).</summary>
public sealed record LiteLlmImportPlan(bool Applied, IReadOnlyList<PlannedProvider> Providers, IReadOnlyList<PlannedModel> Models, IReadOnlyList<SkippedEntry> Skipped);

/// <summary>
/// Turns a LiteLLM <c>model_list</c> into our providers and models: one provider per distinct (kind, base URL, key);
/// one model per <c>model_name</c>, its entries becoming the model's deployments (LiteLLM load-balances entries that share
/// a name); prices from the entries' per-token costs. Existing providers and models are never changed, so a re-run is a
/// no-op. The writes are the events the catalog endpoints write.
/// </summary>
public static partial class LiteLlmImport
{
    public const string Source = "litellm config";

    /// <summary>Providers LiteLLM reaches with OpenAI's or Anthropic's wire protocol, and their default base URLs.</summary>
    private static readonly Dictionary<string, (string Kind, string? BaseUrl)> Prefixes = new(StringComparer.Ordinal)
    {
        ["openai"] = (ProviderKinds.OpenAi, "https://api.openai.com/v1"),
        ["text-completion-openai"] = (ProviderKinds.OpenAi, "https://api.openai.com/v1"),
        ["anthropic"] = (ProviderKinds.Anthropic, "https://api.anthropic.com/v1"),
        ["hosted_vllm"] = (ProviderKinds.OpenAiCompatible, null),
        ["openai_like"] = (ProviderKinds.OpenAiCompatible, null),
        ["lm_studio"] = (ProviderKinds.OpenAiCompatible, null),
        ["deepseek"] = (ProviderKinds.OpenAiCompatible, "https://api.deepseek.com/v1"),
        ["groq"] = (ProviderKinds.OpenAiCompatible, "https://api.groq.com/openai/v1"),
        ["mistral"] = (ProviderKinds.OpenAiCompatible, "https://api.mistral.ai/v1"),
        ["together_ai"] = (ProviderKinds.OpenAiCompatible, "https://api.together.xyz/v1"),
        ["fireworks_ai"] = (ProviderKinds.OpenAiCompatible, "https://api.fireworks.ai/inference/v1"),
        ["openrouter"] = (ProviderKinds.OpenAiCompatible, "https://openrouter.ai/api/v1"),
        ["xai"] = (ProviderKinds.OpenAiCompatible, "https://api.x.ai/v1"),
        ["azure"] = (ProviderKinds.AzureOpenAi, null),
        ["gemini"] = (ProviderKinds.Gemini, "https://generativelanguage.googleapis.com/v1beta"),
        // The base URL follows the region: https://bedrock-runtime.{aws_region_name}.amazonaws.com (BedrockBase).
        ["bedrock"] = (ProviderKinds.Bedrock, null),
    };

    /// <summary>Prefixes LiteLLM knows that the gateway does not reach yet, with what to tell the operator.</summary>
    private static readonly Dictionary<string, string> NotYet = new(StringComparer.Ordinal)
    {
        ["vertex_ai"] = "Vertex AI is not yet supported (its OAuth service-account credentials and regional endpoints are not built): "
            + "use a 'gemini/' entry with a Google AI Studio key, or register the model by hand once Vertex is supported",
        ["vertex_ai_beta"] = "Vertex AI is not yet supported: use a 'gemini/' entry with a Google AI Studio key",
        ["azure_ai"] = "Azure AI Foundry models ('azure_ai/') are not yet supported: Azure OpenAI deployments ('azure/') are",
        ["sagemaker"] = "SageMaker endpoints are not yet supported: Bedrock models ('bedrock/') are",
    };

    public static async Task<LiteLlmImportPlan> PlanAsync(IReadOnlyList<LiteLlmEntry> entries, IQuerySession session, DateTimeOffset now, CancellationToken ct)
    {
        var skipped = new List<SkippedEntry>();
        var providers = new List<PlannedProvider>();
        var routed = new List<(LiteLlmEntry Entry, string Provider)>();
        foreach (var entry in entries)
        {
            if (Unsupported(entry) is { } reason)
            {
                skipped.Add(new SkippedEntry(entry.Field, entry.Line, entry.ModelName, reason));
                continue;
            }
            var (kind, baseUrl) = Target(entry);
            // The same checks as POST /api/providers: a field of the wrong form is named rather than imported.
            var aws = entry.Aws is { } parts ? new AwsKeysInput(parts.AccessKeyId, parts.SecretAccessKey, parts.SessionToken) : null;
            var settings = entry.ApiVersion is null && entry.AwsRegion is null ? null : new ProviderSettings(entry.ApiVersion, entry.AwsRegion);
            if (ProviderFields.Problems(kind, baseUrl, kind == ProviderKinds.Bedrock ? null : entry.ApiKey ?? "none", settings?.ApiVersion, settings?.Region, aws)
                    .FirstOrDefault() is ({ } field, { } problem))
            {
                skipped.Add(new SkippedEntry(entry.Field, entry.Line, entry.ModelName, $"{LiteLlmName(field)}: {problem}"));
                continue;
            }
            var secret = ProviderFields.Secret(kind, entry.ApiKey ?? "none", aws);
            var keySource = kind == ProviderKinds.Bedrock ? entry.Aws!.Source ?? "none" : entry.ApiKeySource ?? "none";
            var provider = providers.FirstOrDefault(p => p.Kind == kind && p.BaseUrl == baseUrl && p.ApiKey == secret && p.Settings == settings);
            if (provider is null)
            {
                var name = kind == ProviderKinds.Bedrock && entry.ApiBase is null ? UniqueName(Slug($"bedrock-{entry.AwsRegion}"), keySource, providers)
                    : ProviderName(entry.Prefix, baseUrl, keySource, providers);
                provider = new PlannedProvider(name, kind, baseUrl, keySource, ImportActions.Create, null) { ApiKey = secret, Settings = settings };
                providers.Add(provider);
            }
            routed.Add((entry, provider.Name));
        }

        // What exists already is kept as it is.
        var existing = (await session.LoadManyAsync<Provider>(ct, providers.Select(p => p.Name))).ToDictionary(p => p.Id);
        providers = providers.Select(p => !existing.TryGetValue(p.Name, out var found) ? p
            : found.Kind == p.Kind && found.BaseUrl == p.BaseUrl && found.Settings == (p.Settings ?? ProviderSettings.None) ? p with { Action = ImportActions.Unchanged }
            : p with { Action = ImportActions.Conflict, Note = $"provider '{p.Name}' exists as {found.Kind} at {found.BaseUrl}; left as it is" }).ToList();
        var conflicted = providers.Where(p => p.Action == ImportActions.Conflict).Select(p => p.Name).ToHashSet();

        var names = routed.Select(r => r.Entry.ModelName).Distinct(StringComparer.Ordinal).ToList();
        var models = (await session.LoadManyAsync<ModelDefinition>(ct, names)).ToDictionary(m => m.Id);
        var planned = new List<PlannedModel>();
        foreach (var name in names)
        {
            var group = routed.Where(r => r.Entry.ModelName == name).ToList();
            var deployments = group.Select(r => Deployment.Of(r.Provider, r.Entry.UpstreamModel, r.Entry.Weight))
                .DistinctBy(d => d.Id).ToList();
            var priced = group.Select(r => r.Entry).FirstOrDefault(e => e.InputPer1M is not null && e.OutputPer1M is not null);
            var families = group.Select(r => ProviderKinds.FamilyOf(providers.Single(p => p.Name == r.Provider).Kind)).Distinct().Count();
            var model = new PlannedModel(name, deployments, priced?.InputPer1M, priced?.OutputPer1M, priced?.CachedInputPer1M, ImportActions.Create, null);
            models.TryGetValue(name, out var current);
            planned.Add(model switch
            {
                _ when families > 1 => model with { Action = ImportActions.Skip, Note = "its entries mix providers of different APIs (OpenAI's, Anthropic's, Gemini's, Bedrock's); a model's deployments speak one" },
                _ when group.Any(r => conflicted.Contains(r.Provider)) => model with { Action = ImportActions.Skip, Note = "one of its providers conflicts with an existing one" },
                _ when current is { IsRouted: true } => current.Routes().SequenceEqual(deployments)
                    ? model with { Action = ImportActions.Unchanged }
                    : model with { Action = ImportActions.Conflict, Note = "the model exists with other deployments; left as it is" },
                _ when priced is null && current?.PriceAt(now) is null => model with
                    { Note = "no price in the config or the catalog: the gateway refuses it until PUT /api/prices/{model} sets one" },
                _ => model,
            });
        }
        return new LiteLlmImportPlan(false, providers, planned, skipped);
    }

    /// <summary>Writes what the plan says to create, in this session (the caller saves), as <paramref name="actor"/>.</summary>
    public static async Task<LiteLlmImportPlan> ApplyAsync(
        LiteLlmImportPlan plan, IDocumentSession session, SecretProtector protector, string actor, DateTimeOffset now, CancellationToken ct)
    {
        foreach (var provider in plan.Providers.Where(p => p.Action == ImportActions.Create))
            session.Events.StartStream<Provider>(provider.Name,
                new ProviderRegistered(provider.Name, provider.Kind, provider.BaseUrl, protector.Protect(provider.ApiKey, SecretBinding.Provider(provider.Name, provider.BaseUrl)), actor, now)
                {
                    KeyFingerprint = ProviderSecret.Fingerprints(provider.Kind, provider.ApiKey).Key,
                    KeyIdFingerprint = ProviderSecret.Fingerprints(provider.Kind, provider.ApiKey).KeyId,
                    Settings = provider.Settings,
                });
        foreach (var model in plan.Models.Where(m => m.Action == ImportActions.Create))
        {
            var stream = await session.Events.FetchForWriting<ModelDefinition>(model.Name, ct);
            var first = model.Deployments[0];
            List<object> events = [new ModelRegistered(model.Name, first.Provider, first.UpstreamModel, actor, now)];
            // A catalog price that already says the same is not set again.
            var current = stream.Aggregate?.PriceAt(now);
            if (model.InputPer1M is { } input && model.OutputPer1M is { } output
                && (current is null || (current.InputPer1M, current.OutputPer1M, current.CachedInputPer1M) != (input, output, model.CachedInputPer1M)))
                events.Add(new PriceSet(model.Name, input, output, model.CachedInputPer1M, now, Source, actor, now));
            if (model.Deployments.Count > 1 || first.Weight != 1)
                events.Add(new ModelDeploymentsSet(model.Name, model.Deployments, actor, now));
            stream.AppendMany(events);
        }
        return plan with { Applied = true };
    }

    private static string? Unsupported(LiteLlmEntry entry)
    {
        if (entry.ModelName.Contains('*') || entry.UpstreamModel.Contains('*'))
            return "wildcard routes are not supported: list each model";
        if (NotYet.TryGetValue(entry.Prefix, out var notYet))
            return $"not yet supported: {notYet}";
        if (!Prefixes.TryGetValue(entry.Prefix, out var target))
            return $"provider '{entry.Prefix}' is not one this gateway reaches (OpenAI, Anthropic, Azure OpenAI, Gemini, Bedrock): register it by hand (POST /api/providers) if it has an OpenAI-compatible endpoint";
        if (target.Kind == ProviderKinds.Bedrock)
        {
            if (entry.AwsRegion is null)
                return $"'{entry.Field}.litellm_params.aws_region_name' is required for 'bedrock'";
            if (entry.Aws is not { AccessKeyId: not null, SecretAccessKey: not null })
                return $"'{entry.Field}.litellm_params.aws_access_key_id' and 'aws_secret_access_key' are required for 'bedrock' (an instance role or AWS profile cannot be imported)";
        }
        else if (target.BaseUrl is null && entry.ApiBase is null)
            return $"'{entry.Field}.litellm_params.api_base' is required for '{entry.Prefix}'";
        if (entry.ApiKey is null && target.Kind is not (ProviderKinds.OpenAiCompatible or ProviderKinds.Bedrock))
            return $"'{entry.Field}.litellm_params.api_key' is required for '{entry.Prefix}'";
        if (entry.Weight is < 0 or > Deployment.MaxWeight)
            return $"weight {entry.Weight} is outside 0–{Deployment.MaxWeight}";
        if (entry.ModelName.Length > 200 || entry.UpstreamModel.Length is 0 or > 200)
            return "the model name is empty or longer than 200 characters";
        if (RequestIds.IsReserved(entry.ModelName))
            return $"'{RequestIds.Prefix}' starts request ids, not model names";
        return null;
    }

    private static (string Kind, string BaseUrl) Target(LiteLlmEntry entry)
    {
        var (kind, defaultBase) = Prefixes[entry.Prefix];
        var baseUrl = (entry.ApiBase ?? defaultBase ?? $"https://bedrock-runtime.{entry.AwsRegion}.amazonaws.com").TrimEnd('/');
        // LiteLLM's Azure api_base is the resource's root; some configs add /openai, which the gateway appends itself.
        if (kind == ProviderKinds.AzureOpenAi)
            foreach (var suffix in new[] { "/openai/v1", "/openai" })
                if (baseUrl.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
                    baseUrl = baseUrl[..^suffix.Length];
        if (kind == ProviderKinds.OpenAi && entry.ApiBase is not null && !baseUrl.StartsWith("https://api.openai.com", StringComparison.OrdinalIgnoreCase))
            kind = ProviderKinds.OpenAiCompatible;
        // LiteLLM's Anthropic base is the host; our base URLs include the version (the gateway appends /messages).
        if (kind == ProviderKinds.Anthropic && !baseUrl.EndsWith("/v1", StringComparison.Ordinal))
            baseUrl += "/v1";
        return (kind, baseUrl);
    }

    /// <summary>The prefix (e.g. "openai"); with a custom base, its host; then the key's variable when still ambiguous.</summary>
    private static string ProviderName(string prefix, string baseUrl, string keySource, IReadOnlyList<PlannedProvider> taken)
    {
        var host = new Uri(baseUrl).Host;
        var isDefault = Prefixes.TryGetValue(prefix, out var t) && t.BaseUrl is not null && baseUrl.StartsWith(t.BaseUrl.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);
        return UniqueName(Slug(isDefault ? prefix : $"{prefix}-{host}"), keySource, taken);
    }

    private static string UniqueName(string name, string keySource, IReadOnlyList<PlannedProvider> taken)
    {
        if (taken.Any(p => p.Name == name))
            name = Slug($"{name}-{(keySource.StartsWith("env:", StringComparison.Ordinal) ? keySource[4..] : "key")}");
        var unique = name;
        for (var n = 2; taken.Any(p => p.Name == unique); n++)
            unique = Slug($"{name}-{n}");
        return unique;
    }

    private static string Slug(string text)
    {
        var slug = NonName().Replace(text.ToLowerInvariant(), "-").Trim('-', '.', '_');
        slug = slug.Length > 100 ? slug[..100] : slug;
        return slug.Length == 0 ? "provider" : slug;
    }

    /// <summary>A provider field's name as the LiteLLM config spells it.</summary>
    private static string LiteLlmName(string field) => field switch
    {
        "apiKey" => "api_key",
        "apiVersion" => "api_version",
        "baseUrl" => "api_base",
        "region" => "aws_region_name",
        "aws.accessKeyId" => "aws_access_key_id",
        "aws.secretAccessKey" => "aws_secret_access_key",
        "aws.sessionToken" => "aws_session_token",
        _ => field,
    };

    [GeneratedRegex("[^a-z0-9._-]+")]
    private static partial Regex NonName();
}
