using System.Reflection;

namespace Governance.Api.Docs;

/// <summary>
/// GET /docs: a small, dependency-free page that reads <c>/openapi/v1.json</c> and sends any call with the operator
/// token typed into it (kept in the tab's sessionStorage). It works offline: no CDN, no bundled library. The page itself
/// is anonymous (it holds no data); every call it makes is authorized as usual.
/// </summary>
public static class ApiDocs
{
    public const string Path = "/docs";

    private static readonly (string Name, string ContentType)[] Files =
    [
        ("explorer.html", "text/html; charset=utf-8"),
        ("explorer.js", "text/javascript; charset=utf-8"),
        ("explorer.css", "text/css; charset=utf-8"),
    ];

    public static IEndpointRouteBuilder MapApiDocs(this IEndpointRouteBuilder app)
    {
        var files = Files.ToDictionary(f => f.Name, f => (Bytes: Read(f.Name), f.ContentType));
        IResult Serve(string name, HttpContext http)
        {
            var (bytes, contentType) = files[name];
            // Only our own script and style; the page calls this server only.
            http.Response.Headers.ContentSecurityPolicy = "default-src 'self'; frame-ancestors 'none'";
            http.Response.Headers.XContentTypeOptions = "nosniff";
            return Results.Bytes(bytes, contentType);
        }
        app.MapGet(Path, (HttpContext http) => Serve("explorer.html", http)).AllowAnonymous().ExcludeFromDescription();
        app.MapGet(Path + "/{file}", (string file, HttpContext http) => files.ContainsKey(file) ? Serve(file, http) : Results.NotFound())
            .AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static byte[] Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Governance.Api.Docs." + name)
                           ?? throw new InvalidOperationException($"Embedded resource {name} is missing.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
