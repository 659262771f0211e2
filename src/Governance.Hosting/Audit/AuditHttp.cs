using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Governance.Hosting.Audit;

public static partial class AuditHttp
{
    /// <summary>Request and response header carrying the correlation id recorded on every event the request appends.</summary>
    public const string CorrelationHeader = "x-correlation-id";

    /// <summary>
    /// Names the actor and correlation id of each HTTP request for the events it appends (<see cref="AuditContext"/>).
    /// The correlation id is the caller's <c>x-correlation-id</c> when it is a plain token of at most 128 characters,
    /// otherwise the W3C trace id of the request (the one Wolverine also puts on the messages the request sends); it is
    /// echoed in the response. Place after authentication when <paramref name="actorOf"/> reads the user.
    /// </summary>
    public static IApplicationBuilder UseAuditActor(this IApplicationBuilder app, Func<HttpContext, string?> actorOf) =>
        app.Use(async (context, next) =>
        {
            var correlationId = CorrelationIdOf(context);
            context.Response.Headers[CorrelationHeader] = correlationId;
            if (actorOf(context) is not { Length: > 0 } actor)
            {
                await next(context);
                return;
            }
            using (AuditContext.Begin(new AuditActor(actor, correlationId)))
                await next(context);
        });

    internal static string CorrelationIdOf(HttpContext context)
    {
        var given = context.Request.Headers[CorrelationHeader].ToString();
        if (SafeCorrelationId().IsMatch(given))
            return given;
        return Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity ? activity.TraceId.ToHexString() : context.TraceIdentifier;
    }

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$")]
    private static partial Regex SafeCorrelationId();
}
