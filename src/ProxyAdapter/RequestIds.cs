namespace ProxyAdapter;

/// <summary>
/// Every response of the proxy carries <c>x-request-id</c>; for a proxied call it is also the ledger's request id, in the
/// one shape the API accepts (<see cref="global::Governance.Domain.Usage.RequestIds"/>). Never taken from the caller.
/// </summary>
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
        var id = global::Governance.Domain.Usage.RequestIds.New();
        http.Items[Key] = id;
        http.Response.Headers[Header] = id;
        return id;
    }
}
