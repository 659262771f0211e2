using Governance.Domain.Approvals;
using Governance.Domain.Pricing;

namespace Governance.Domain.Catalog;

public static class ProviderKinds
{
    public const string OpenAi = "openai";
    /// <summary>Any server that speaks OpenAI's wire protocol (vLLM, Ollama, Azure-style gateways, …).</summary>
    public const string OpenAiCompatible = "openai-compatible";
    public const string Anthropic = "anthropic";
    /// <summary>Azure OpenAI: OpenAI's bodies at Azure's addresses (deployment URLs with an api-version, or the v1 API), the key in <c>api-key</c>.</summary>
    public const string AzureOpenAi = "azure-openai";
    /// <summary>Google's Gemini API (generateContent), the key in <c>x-goog-api-key</c>.</summary>
    public const string Gemini = "gemini";
    /// <summary>AWS Bedrock's Converse API, SigV4-signed with an access key pair, in a region.</summary>
    public const string Bedrock = "bedrock";
    public static readonly IReadOnlyList<string> All = [OpenAi, OpenAiCompatible, AzureOpenAi, Anthropic, Gemini, Bedrock];

    /// <summary>The wire protocol a provider of this kind speaks: <see cref="ApiFamily"/>.</summary>
    public static ApiFamily FamilyOf(string kind) => kind switch
    {
        Anthropic => ApiFamily.Anthropic,
        Gemini => ApiFamily.Gemini,
        Bedrock => ApiFamily.Bedrock,
        _ => ApiFamily.OpenAi,
    };

    /// <summary>How messages name the family: "OpenAI's API", "Anthropic's API".</summary>
    public static string Describe(ApiFamily family) => family switch
    {
        ApiFamily.Anthropic => "Anthropic's API",
        ApiFamily.Gemini => "Google's Gemini API",
        ApiFamily.Bedrock => "AWS Bedrock's Converse API",
        _ => "OpenAI's API",
    };
}

/// <summary>
/// Which API a provider answers: OpenAI's (chat completions, embeddings; Azure OpenAI too), Anthropic's (messages),
/// Gemini's (generateContent) or Bedrock's (Converse). Clients speak the first two; the others are reached translated.
/// </summary>
public enum ApiFamily
{
    OpenAi,
    Anthropic,
    Gemini,
    Bedrock,
}

/// <summary>
/// The provider's API key travels and rests only as AES-GCM ciphertext. <see cref="KeyFingerprint"/>: its
/// <see cref="Secrets.SecretFingerprint"/>, so a leaked key can be traced to this provider (null in events recorded before
/// it existed: <see cref="ProviderKeyFingerprinted"/> adds it).
/// </summary>
public sealed record ProviderRegistered(
    string Name, string Kind, string BaseUrl, string EncryptedApiKey, string RegisteredBy, DateTimeOffset RegisteredAt)
{
    public string? KeyFingerprint { get; init; }

    /// <summary>Bedrock: the access key id's fingerprint (the secret's is <see cref="KeyFingerprint"/>); null for other kinds.</summary>
    public string? KeyIdFingerprint { get; init; }

    /// <summary>The kind's settings (Azure's api-version, Bedrock's region); null when it needs none.</summary>
    public ProviderSettings? Settings { get; init; }
}

/// <summary>The same API key, encrypted again under another master key (the <c>rotate-master-key</c> command).</summary>
public sealed record ProviderKeyReencrypted(string Name, string EncryptedApiKey, string ReencryptedBy, DateTimeOffset ReencryptedAt);

/// <summary>
/// The fingerprint of a key registered before fingerprints were recorded, computed once from the decrypted key by an API
/// node at start-up. The key itself is unchanged.
/// </summary>
public sealed record ProviderKeyFingerprinted(string Name, string KeyFingerprint, string RecordedBy, DateTimeOffset RecordedAt);

/// <summary>A new API key for the provider (the old one leaked or expired): its ciphertext and fingerprint replace the old ones.</summary>
public sealed record ProviderKeyRotated(string Name, string EncryptedApiKey, string KeyFingerprint, string RotatedBy, DateTimeOffset RotatedAt)
{
    /// <summary>Bedrock: the new access key id's fingerprint.</summary>
    public string? KeyIdFingerprint { get; init; }
}

/// <summary>
/// Routes a model name to a provider's upstream model. Prices live in the same stream as <see cref="PriceSet"/>.
/// <see cref="Limits"/>: what the admin said one request may use, when they said (null in events recorded before).
/// </summary>
public sealed record ModelRegistered(
    string Name,
    string Provider,
    string UpstreamModel,
    string RegisteredBy,
    DateTimeOffset RegisteredAt)
{
    public ModelLimits? Limits { get; init; }
}

public sealed record Provider(string Id, string Kind, string BaseUrl, string EncryptedApiKey, DateTimeOffset RegisteredAt)
{
    /// <summary>SHA-256 of the API key (never the key); null until recorded for a provider registered before fingerprints.</summary>
    public string? KeyFingerprint { get; init; }

    /// <summary>Bedrock: SHA-256 of the access key id, matched like <see cref="KeyFingerprint"/> (the scanner finds ids more surely than secrets).</summary>
    public string? KeyIdFingerprint { get; init; }

    public DateTimeOffset? KeyRotatedAt { get; init; }

    public ProviderSettings Settings { get; init; } = ProviderSettings.None;

    public static Provider? Evolve(Provider? state, object @event) => @event switch
    {
        ProviderRegistered e => new Provider(e.Name, e.Kind, e.BaseUrl, e.EncryptedApiKey, e.RegisteredAt)
        {
            KeyFingerprint = e.KeyFingerprint, KeyIdFingerprint = e.KeyIdFingerprint, Settings = e.Settings ?? ProviderSettings.None,
        },
        ProviderKeyReencrypted e => state is null ? null : state with { EncryptedApiKey = e.EncryptedApiKey },
        ProviderKeyFingerprinted e => state is null ? null : state with { KeyFingerprint = e.KeyFingerprint },
        ProviderKeyRotated e => state is null ? null : state with
        {
            EncryptedApiKey = e.EncryptedApiKey, KeyFingerprint = e.KeyFingerprint, KeyIdFingerprint = e.KeyIdFingerprint, KeyRotatedAt = e.RotatedAt,
        },
        _ => state,
    };
}

/// <summary>
/// A model name applications call: its route (provider + upstream model, absent for a catalog-only entry)
/// and its price history. One stream per model name.
/// </summary>
public sealed record ModelDefinition(
    string Id, string? Provider, string? UpstreamModel, IReadOnlyList<PriceVersion> Prices, DateTimeOffset? RegisteredAt)
{
    public bool IsRouted => Provider is not null;

    /// <summary>Set by <see cref="ModelDeploymentsSet"/>; empty for a model registered with its single route only.</summary>
    public IReadOnlyList<Deployment> Deployments { get; init; } = [];

    /// <summary>Models tried, in order, when every deployment of this one failed (<see cref="ModelFallbacksSet"/>).</summary>
    public IReadOnlyList<string> Fallbacks { get; init; } = [];

    /// <summary>Set by <see cref="ModelGroupSet"/>: this name is a group of models, not a model (docs/routing.md).</summary>
    public ModelGroup? Group { get; init; }

    public bool IsGroup => Group is not null;

    /// <summary>Where calls go: the deployments, or the route given at registration as one deployment of weight 1.</summary>
    public IReadOnlyList<Deployment> Routes() =>
        Deployments.Count > 0 ? Deployments
        : Provider is null || UpstreamModel is null ? []
        : [Deployment.Of(Provider, UpstreamModel, 1)];

    /// <summary>The approval policy; null (or not restricted) means any key in scope may call the model.</summary>
    public ModelPolicy? Policy { get; init; }

    public bool IsRestricted => Policy is { Restricted: true };

    public PriceVersion? PriceAt(DateTimeOffset instant) => PriceHistory.At(Prices, instant);

    /// <summary>
    /// What one request may use, as the latest catalog event naming each limit set it (registration, a price, an import);
    /// limits take effect when recorded, not at a price's effectiveFrom.
    /// </summary>
    public ModelLimits Limits { get; init; } = ModelLimits.None;

    public static ModelDefinition? Evolve(ModelDefinition? state, object @event) => @event switch
    {
        ModelRegistered e => (state ?? Empty(e.Name)) with
        {
            Provider = e.Provider, UpstreamModel = e.UpstreamModel, RegisteredAt = e.RegisteredAt, Limits = WithLimits(state, e.Limits),
        },
        PriceSet e => (state ?? Empty(e.Model)) with { Prices = PriceHistory.Add(state?.Prices ?? [], e), Limits = WithLimits(state, e.Limits) },
        ModelPolicySet e => (state ?? Empty(e.Model)) with { Policy = e.Policy },
        // The first deployment is the model's primary route: what the model view and usage reported without a provider show.
        ModelDeploymentsSet e => (state ?? Empty(e.Model)) with
        {
            Deployments = e.Deployments, Provider = e.Deployments[0].Provider, UpstreamModel = e.Deployments[0].UpstreamModel,
            RegisteredAt = state?.RegisteredAt ?? e.SetAt,
        },
        ModelFallbacksSet e => (state ?? Empty(e.Model)) with { Fallbacks = e.Fallbacks },
        ModelGroupSet e => (state ?? Empty(e.Name)) with { Group = new ModelGroup(e.Members, e.Strategy), RegisteredAt = state?.RegisteredAt ?? e.SetAt },
        _ => state,
    };

    private static ModelDefinition Empty(string name) => new(name, null, null, [], null);

    private static ModelLimits WithLimits(ModelDefinition? state, ModelLimits? named) =>
        named?.Over(state?.Limits ?? ModelLimits.None) ?? state?.Limits ?? ModelLimits.None;
}
