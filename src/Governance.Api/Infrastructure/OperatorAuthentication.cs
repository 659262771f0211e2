using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using Governance.Domain.Access;
using Governance.Domain.Operators;
using Governance.Hosting;
using Marten;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Governance.Api.Infrastructure;

/// <summary>
/// Bearer operator tokens: the token's hash names the stored operator; nothing else is kept. The inline projection
/// commits a revocation with its event, so a revoked token is refused from the very next request. A refused token counts
/// against its client address (<see cref="FailedAuthThrottle"/>); an address past its limit is answered 429 with
/// Retry-After before its token is looked up.
/// </summary>
internal sealed class OperatorAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "OperatorToken";
    public const string RoleClaim = "role";
    public const string IdClaim = "sub";
    public const string AppClaim = "app";
    public const string AdapterClaim = "adapter";
    public const string PersonClaim = "person";
    private static readonly object ThrottledFor = new();

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (BearerToken.From(Request) is not { } token)
            return AuthenticateResult.NoResult();
        var throttle = Context.RequestServices.GetRequiredService<FailedAuthThrottle>();
        var now = Context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var address = Context.Connection.RemoteIpAddress;
        if (throttle.RetryAfter(address, now) is { } wait)
        {
            Context.Items[ThrottledFor] = wait;
            return AuthenticateResult.Fail("Too many failed authentications from this address.");
        }

        var session = Context.RequestServices.GetRequiredService<IQuerySession>();
        var stored = await session.LoadAsync<OperatorToken>(OperatorToken.IdFor(token), Context.RequestAborted);
        if (stored is null || !CryptographicOperations.FixedTimeEquals(
                Convert.FromHexString(stored.TokenHash), Convert.FromHexString(OperatorToken.HashOf(token))))
        {
            throttle.Failed(address, now);
            return AuthenticateResult.Fail("Unknown operator token.");
        }
        if (stored.Revoked)
        {
            throttle.Failed(address, now);
            return AuthenticateResult.Fail("Revoked operator token.");
        }
        if (stored.IsExpiredAt(now))
        {
            throttle.Failed(address, now);
            return AuthenticateResult.Fail("Expired operator token.");
        }

        // One claim per role and per app, so IsInRole and [Authorize(Roles = ...)] see every role the token holds.
        Claim[] claims =
        [
            new(IdClaim, stored.Id),
            new(PersonClaim, stored.PersonOrName),
            .. stored.Roles.Select(role => new Claim(RoleClaim, role)),
            .. stored.Apps.Select(app => new Claim(AppClaim, app)),
            .. stored.AdapterIdentity is { } adapter ? [new Claim(AdapterClaim, adapter)] : Array.Empty<Claim>(),
        ];
        var identity = new ClaimsIdentity(claims, SchemeName, IdClaim, RoleClaim);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items[ThrottledFor] is TimeSpan wait)
        {
            var seconds = (int)Math.Clamp(Math.Ceiling(wait.TotalSeconds), 1, int.MaxValue);
            Response.StatusCode = DenialReason.AuthThrottled.HttpStatus;
            Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await Results.Problem(Problems.Create(DenialReason.AuthThrottled.HttpStatus, "Too many failed authentications.",
                    $"This address presented too many invalid operator tokens lately; retry after {seconds} s.", DenialReason.AuthThrottled.Code))
                .ExecuteAsync(Context);
            return;
        }
        Response.StatusCode = 401;
        Response.Headers.WWWAuthenticate = "Bearer";
        await Results.Problem(Problems.Create(401, "Unauthorized.", "A valid operator token is required (Authorization: Bearer <token>).", "unauthorized"))
            .ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = 403;
        await Results.Problem(Problems.Create(403, "Forbidden.", "This operator token's roles may not do this.", "forbidden"))
            .ExecuteAsync(Context);
    }
}
