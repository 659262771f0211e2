namespace ProxyAdapter;

/// <summary>Every response of the proxy carries <c>x-request-id</c>; for a proxied call it is also the ledger's request id.</summary>
public static class RequestIds
{
    public const string Header = "x-request-id";
    private static readonly object Key = new();

    public static string Of(HttpContext http) => http.Items[Key] as string ?? Assign(http);

    public static IApplicationBuilder UseRequestIds(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        Assign(http);
        return next(http);
    });

    private static string Assign(HttpContext http)
    {
        var id = "req_" + Guid.NewGuid().ToString("N");
        http.Items[Key] = id;
        http.Response.Headers[Header] = id;
        return id;
    }
}
