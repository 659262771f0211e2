using Governance.Domain.Keys;
using Wolverine.Http;

namespace Governance.Api.Keys;

/// <summary>App-owners reach only their own apps' keys.</summary>
internal static class KeyAccess
{
    /// <summary>
    /// Another app's key is answered exactly like an unknown id: to an app-owner, its existence is none of their business.
    /// Call from a key endpoint's <c>Validate</c>: Wolverine runs it after loading the aggregate, before the command.
    /// </summary>
    public static IResult Visible(VirtualKey key, HttpContext context) =>
        context.AppScope().Allows(key.App) ? WolverineContinue.Result() : NotFound();

    public static IResult NotFound() => Results.NotFound();
}
