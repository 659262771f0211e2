using System.Text.Json;
using System.Text.Json.Serialization;

namespace Governance.Domain.Pricing;

/// <summary>
/// A published list price for a widely used model, in USD per 1M tokens. <see cref="Source"/> names where the figure
/// was read and <see cref="AsOf"/> the date it is vouched for; prices change, so neither is optional. The token limits
/// of one request come from the same source (optional: an embeddings model has no output).
/// </summary>
public sealed record CatalogPrice(
    string Model,
    string Provider,
    decimal InputPer1M,
    decimal OutputPer1M,
    decimal? CachedInputPer1M,
    string Source,
    DateOnly AsOf,
    long? MaxInputTokens = null,
    long? MaxOutputTokens = null)
{
    public Catalog.ModelLimits Limits => new(MaxInputTokens, MaxOutputTokens);
}

/// <summary>The prices shipped with the service (Pricing/default-prices.json, embedded), to seed a fresh catalog.</summary>
public static class DefaultCatalog
{
    public const string ResourceName = "Governance.Domain.Pricing.default-prices.json";

    // Web defaults read the file's camelCase names; the stricter settings make a typo or a missing field in the
    // shipped file fail loudly instead of seeding a price of 0 or a null source. JSON numbers land in decimal exactly.
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    private static readonly Lazy<IReadOnlyList<CatalogPrice>> Prices = new(Read);

    public static IReadOnlyList<CatalogPrice> Load() => Prices.Value;

    private static IReadOnlyList<CatalogPrice> Read()
    {
        using var stream = typeof(DefaultCatalog).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing from {typeof(DefaultCatalog).Assembly.GetName().Name}.");
        return JsonSerializer.Deserialize<CatalogPrice[]>(stream, Options)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} holds null instead of a list of prices.");
    }
}
