using Governance.Domain.Access;
using Governance.Domain.Catalog;
using Governance.Hosting;
using ProxyAdapter.Routing;
using ProxyAdapter.Surfaces;

namespace ProxyAdapter.Pipeline;

/// <summary>
/// Step 4: the model for this key (scope, price, grant, routes) from the governor, the routes in the order to try them,
/// (by the strategy of the model group asked for, docs/routing.md), and the call's output bounds fitted to the models it may reach (<see cref="Surface.Bound"/>), and the check that every
/// route to another API's provider can carry the call (<see cref="TranslatedRoute"/>). A refusal of the model is recorded
/// as its own <c>request_denied</c>.
/// </summary>
public sealed class Admitter(
    IGovernor governor, DeploymentHealth health, RouteSignals signals, RouteRandom random, GatewayOptions options, LedgerOptions ledger, AdapterIdentity adapter, TimeProvider clock)
{
    public async Task<Step<AdmittedRequest>> AdmitAsync(ParsedRequest request)
    {
        var caller = request.Request.Caller;
        var (surface, errors, shape) = (caller.Surface, caller.Surface.Errors, request.Shape);
        var now = clock.GetUtcNow();
        var admission = await governor.DecideAsync(caller.PresentedKey, shape.Model, now, caller.Http.RequestAborted);
        if (!admission.Decision.Allowed)
            return new Refusal(errors.Denied(admission.Decision.Denial!), admission.Decision.Reason,
                RequestDenied.Of(caller.RequestId, caller.PresentedKey, admission.Decision, shape.Model, adapter.Actor, now));

        var requested = admission.Models[0];
        var routing = RoutePlanner.PlanWith(admission.Models, admission.Primary, admission.Strategy, surface.Reaches, health, signals, random, options.MaxAttempts);
        var plan = routing.Routes;
        if (plan.Count == 0)
            return new Refusal(requested.Routes.Count > 0
                ? errors.BadRequest(WrongApi(surface, shape.Model, requested), "wrong_api")
                : errors.Result(502, "provider_missing", "The model's provider is not configured."));
        // The output the call may produce and the hold that stands for it, from the models it may reach (HoldSizing).
        if (surface.Bound(request.Body, request.Request.Raw.Length, admission.Models.Take(admission.Primary).ToList(), plan.Select(r => r.Model).Distinct(), ledger, ref shape) is { } unbounded)
            return new Refusal(unbounded);
        if (TranslatedRoute.Untranslatable(surface, request.Body, shape, plan) is { } untranslatable)
            return new Refusal(errors.Invalid(untranslatable));
        return new AdmittedRequest(request, admission, plan, shape, now) { Routing = routing.Choice };
    }

    /// <summary>Which API of this gateway serves the model instead, when one does (embeddings have none beyond OpenAI's kinds).</summary>
    private static string WrongApi(Surface surface, string model, CandidateModel requested)
    {
        var other = surface.Family == ApiFamily.OpenAi ? AnthropicMessagesSurface.Instance : (Surface)ChatCompletionsSurface.Instance;
        return requested.Routes.Any(r => other.Reaches(r.Provider.Kind))
            ? $"Model '{model}' is not served through this API; call it through the {(other.Family == ApiFamily.Anthropic ? "Anthropic" : "OpenAI")} API of this gateway."
            : $"Model '{model}' is not served through this API: its provider ({ProviderKinds.Describe(ProviderKinds.FamilyOf(requested.Routes[0].Provider.Kind))}) has no such operation here.";
    }
}
