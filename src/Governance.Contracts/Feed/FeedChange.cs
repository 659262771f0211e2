using System.Text.Json.Serialization;
using Governance.Domain.Approvals;
using Governance.Domain.Apps;
using Governance.Domain.Budgets;
using Governance.Domain.Catalog;
using Governance.Domain.Keys;
using Governance.Domain.Pricing;

namespace Governance.Contracts.Feed;

/// <summary>
/// One change on the feed: the event's global sequence number, its persisted type, its stream, its time, and the
/// CURRENT state of what it changed (read after the event committed, so at least as new as the event). Applying the
/// state rather than the event makes a replay harmless: an adapter that receives a change twice, or after a snapshot
/// that already reflected it, ends in the same state. Exactly one of the state properties is set.
/// </summary>
public sealed record FeedChange(long Seq, string Type, string Stream, DateTimeOffset At)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public FeedKey? Key { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public FeedBudget? Budget { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public FeedApp? App { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public FeedModel? Model { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public FeedGrant? Grant { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public FeedLeaseRecall? Lease { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public FeedProvider? Provider { get; init; }

    /// <summary>The change as a caller without the adapter role sees it: no secret hashes, no provider key ciphertext.</summary>
    public FeedChange WithoutSecrets() => this with { Key = Key?.WithoutSecrets(), Provider = Provider?.WithoutSecrets() };
}

/// <summary>
/// A key as an adapter needs it to decide alone: status, scope, expiry and the SHA-256 hashes of its current and (during
/// a rotation's grace) previous secret, and its rate limits (null fields: unlimited). Never a plaintext secret.
/// </summary>
public sealed record FeedKey(
    string Id, string App, string Status, IReadOnlyList<string> Models, DateTimeOffset? ExpiresAt, string? SecretHash,
    string? PreviousSecretHash, DateTimeOffset? PreviousValidUntil, KeyRateLimits RateLimits)
{
    public static FeedKey From(VirtualKey key) => new(
        key.Id, key.App, key.Status.ToString().ToLowerInvariant(), key.Models, key.ExpiresAt, key.SecretHash, key.PreviousSecretHash,
        key.PreviousValidUntil, key.Limits);

    public FeedKey WithoutSecrets() => this with { SecretHash = null, PreviousSecretHash = null };
}

public sealed record FeedBudget(string Id, string Level, string Owner, decimal Limit, string Period)
{
    public static FeedBudget From(Budget budget) => new(
        budget.Id, budget.Level.ToString().ToLowerInvariant(), budget.Owner, budget.Limit, budget.Period.ToString().ToLowerInvariant());
}

/// <summary>An app and its team: which team budget its keys' requests must also fit.</summary>
public sealed record FeedApp(string Name, string? Team)
{
    public static FeedApp From(App app) => new(app.Name, app.Team);
}

/// <summary>
/// A model's route, full price history (a future price applies from its effectiveFrom) and whether it needs a grant;
/// <see cref="Deployments"/> (where calls go, in weight order as the proxy routes them) and <see cref="Fallbacks"/>, and
/// the <see cref="Limits"/> that bound what one request may use (and so its hold).
/// </summary>
public sealed record FeedModel(string Name, string? Provider, string? UpstreamModel, IReadOnlyList<PriceVersion> Prices, bool Restricted)
{
    public ModelLimits Limits { get; init; } = ModelLimits.None;

    /// <summary>The effective routes: the deployments set, or the registration's single route with weight 1.</summary>
    public IReadOnlyList<Deployment> Deployments { get; init; } = [];
    public IReadOnlyList<string> Fallbacks { get; init; } = [];
    public DateTimeOffset? RegisteredAt { get; init; }

    /// <summary>
    /// Set when the name is a model group (its members and routing strategy). An adapter that does not know this field
    /// sees a model without a route, and refuses calls to it: fail closed.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public ModelGroup? Group { get; init; }

    public static FeedModel From(ModelDefinition model) => new(model.Id, model.Provider, model.UpstreamModel, model.Prices, model.IsRestricted)
    {
        RegisteredAt = model.RegisteredAt,
        Deployments = model.Routes(),
        Fallbacks = model.Fallbacks,
        Limits = model.Limits,
        Group = model.Group,
    };
}

/// <summary>
/// A provider as an adapter needs it to forward: kind, base URL and its API key as the stored AES-GCM ciphertext (the
/// adapter decrypts it with the deployment's master key). Callers without the adapter role get no ciphertext.
/// </summary>
public sealed record FeedProvider(string Name, string Kind, string BaseUrl, string? EncryptedApiKey)
{
    /// <summary>The kind's settings (Azure's api-version, Bedrock's region); absent when it has none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public ProviderSettings? Settings { get; init; }

    public static FeedProvider From(Provider provider) => new(provider.Id, provider.Kind, provider.BaseUrl, provider.EncryptedApiKey)
    {
        Settings = provider.Settings == ProviderSettings.None ? null : provider.Settings,
    };

    public FeedProvider WithoutSecrets() => this with { EncryptedApiKey = null };
}

/// <summary>An access grant: for a key, or for every key of an app when <see cref="KeyId"/> is null; active from start to expiry.</summary>
public sealed record FeedGrant(
    string Id, string? KeyId, string App, string Model, string Status, DateTimeOffset? Start, DateTimeOffset? Expiry, decimal? SpendCap)
{
    public static FeedGrant From(AccessRequest grant) => new(
        grant.Id, grant.KeyId, grant.App, grant.Model, grant.Status.ToString().ToLowerInvariant(), grant.GrantStart, grant.GrantExpiry, grant.SpendCap);
}

/// <summary>A recall, addressed to the adapter holding the lease: return what you have not committed.</summary>
public sealed record FeedLeaseRecall(string LeaseId, string AdapterId, string Level, string Owner, string RecalledFor)
{
    public static FeedLeaseRecall From(LeaseRecalled e) => new(e.LeaseId, e.AdapterId, e.Level.ToString().ToLowerInvariant(), e.Owner, e.RecalledFor);
}
