using Governance.Domain.Approvals;
using Governance.Domain.Pricing;

namespace Governance.Domain.Catalog;

public static class ProviderKinds
{
    public const string OpenAi = "openai";
    public static readonly IReadOnlyList<string> All = [OpenAi];
}

/// <summary>The provider's API key travels and rests only as AES-GCM ciphertext.</summary>
public sealed record ProviderRegistered(
    string Name, string Kind, string BaseUrl, string EncryptedApiKey, string RegisteredBy, DateTimeOffset RegisteredAt);

/// <summary>Routes a model name to a provider's upstream model. Prices live in the same stream as <see cref="PriceSet"/>.</summary>
public sealed record ModelRegistered(
    string Name,
    string Provider,
    string UpstreamModel,
    string RegisteredBy,
    DateTimeOffset RegisteredAt);

public sealed record Provider(string Id, string Kind, string BaseUrl, string EncryptedApiKey, DateTimeOffset RegisteredAt)
{
    public static Provider? Evolve(Provider? state, object @event) => @event switch
    {
        ProviderRegistered e => new Provider(e.Name, e.Kind, e.BaseUrl, e.EncryptedApiKey, e.RegisteredAt),
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

    /// <summary>The approval policy; null (or not restricted) means any key in scope may call the model.</summary>
    public ModelPolicy? Policy { get; init; }

    public bool IsRestricted => Policy is { Restricted: true };

    public PriceVersion? PriceAt(DateTimeOffset instant) => PriceHistory.At(Prices, instant);

    public static ModelDefinition? Evolve(ModelDefinition? state, object @event) => @event switch
    {
        ModelRegistered e => (state ?? Empty(e.Name)) with { Provider = e.Provider, UpstreamModel = e.UpstreamModel, RegisteredAt = e.RegisteredAt },
        PriceSet e => (state ?? Empty(e.Model)) with { Prices = PriceHistory.Add(state?.Prices ?? [], e) },
        ModelPolicySet e => (state ?? Empty(e.Model)) with { Policy = e.Policy },
        _ => state,
    };

    private static ModelDefinition Empty(string name) => new(name, null, null, [], null);
}
