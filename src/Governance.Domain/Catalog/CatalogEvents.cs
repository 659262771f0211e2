namespace Governance.Domain.Catalog;

public static class ProviderKinds
{
    public const string OpenAi = "openai";
    public static readonly IReadOnlyList<string> All = [OpenAi];
}

/// <summary>The provider's API key travels and rests only as AES-GCM ciphertext.</summary>
public sealed record ProviderRegistered(
    string Name, string Kind, string BaseUrl, string EncryptedApiKey, string RegisteredBy, DateTimeOffset RegisteredAt);

public sealed record ModelRegistered(
    string Name,
    string Provider,
    string UpstreamModel,
    decimal InputPricePer1M,
    decimal OutputPricePer1M,
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

/// <summary>A model name applications call, mapped to a provider's upstream model, with its prices per 1M tokens.</summary>
public sealed record ModelDefinition(
    string Id, string Provider, string UpstreamModel, decimal InputPricePer1M, decimal OutputPricePer1M, DateTimeOffset RegisteredAt)
{
    public static ModelDefinition? Evolve(ModelDefinition? state, object @event) => @event switch
    {
        ModelRegistered e => new ModelDefinition(e.Name, e.Provider, e.UpstreamModel, e.InputPricePer1M, e.OutputPricePer1M, e.RegisteredAt),
        _ => state,
    };
}
