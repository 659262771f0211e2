using System.Collections.Frozen;
using System.Reflection;

namespace Governance.Api.Ui;

/// <summary>
/// The operator dashboard at /ui: a few static files embedded in this assembly (no CDN, works offline). The page holds
/// no data of its own; it calls /api with the operator token the person signs in with, so every rule of the API
/// (roles, app scopes) applies to what it shows.
/// </summary>
public static class DashboardPage
{
    public const string Path = "/ui";

    /// <summary>
    /// Scripts and styles from this origin only (no inline script, no eval), data from /api only, nothing framed:
    /// an injected string can't run even if rendering ever forgot to escape it.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private const string ResourcePrefix = "ui/";

    private static readonly FrozenDictionary<string, (string ContentType, byte[] Body)> Files = Load();

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder endpoints)
    {
        // The files are public; the data behind them is not (every /api call needs the token).
        endpoints.MapGet(Path, (HttpContext context) => Serve(context, "index.html")).AllowAnonymous().ExcludeFromDescription();
        endpoints.MapGet(Path + "/{file}", (string file, HttpContext context) => Serve(context, file)).AllowAnonymous().ExcludeFromDescription();
        return endpoints;
    }

    private static IResult Serve(HttpContext context, string file)
    {
        if (!Files.TryGetValue(file, out var entry))
            return Results.NotFound();
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
        return Results.Bytes(entry.Body, entry.ContentType);
    }

    private static FrozenDictionary<string, (string, byte[])> Load()
    {
        var assembly = typeof(DashboardPage).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .ToFrozenDictionary(name => name[ResourcePrefix.Length..], name => (ContentTypeOf(name), Read(assembly, name)), StringComparer.Ordinal);
    }

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static string ContentTypeOf(string name) => System.IO.Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };
}
