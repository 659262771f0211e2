using System.Text.Json.Nodes;
using Governance.Domain.Usage;
using ProxyAdapter.Routing;
using ProxyAdapter.Surfaces;
using ProxyAdapter.Translation;

namespace ProxyAdapter.Pipeline;

/// <summary>
/// A route whose provider speaks another API than the client called (<see cref="Surface.Translates"/>): the client's body
/// becomes the provider's call through <see cref="Translator.Request"/>. Admission asks once per provider kind, so a
/// parameter that cannot be translated is refused before anything is held; forwarding asks again for each attempt.
/// </summary>
public static class TranslatedRoute
{
    public static InvalidParam? Prepare(Surface surface, JsonObject body, CallShape shape, PlannedRoute route, out UpstreamCall call)
    {
        call = null!;
        var target = ProviderAddress.Target(route);
        // The translator rewrites what it is given; the client's body stays as read for the next attempt.
        if (Translator.Request(surface.TranslatedAs!.Value, (JsonObject)body.DeepClone(), target, out var translated) is { } invalid)
            return invalid;
        // The gateway turned include_usage on to read the usage (ChatCompletionsSurface): the client sees the chunk only if it asked.
        call = translated with { IncludeUsage = translated.IncludeUsage && !shape.DropUsageChunk };
        return null;
    }

    /// <summary>The first parameter that a provider kind in <paramref name="plan"/> cannot be sent, or null when every route can take the call.</summary>
    public static InvalidParam? Untranslatable(Surface surface, JsonObject body, CallShape shape, IEnumerable<PlannedRoute> plan) =>
        plan.Where(r => surface.Translates(r.Provider.Kind)).DistinctBy(r => r.Provider.Kind)
            .Select(r => Prepare(surface, body, shape, r, out _)).FirstOrDefault(invalid => invalid is not null);
}
