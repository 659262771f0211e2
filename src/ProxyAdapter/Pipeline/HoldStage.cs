using Governance.Domain.Access;
using Governance.Domain.Budgets;
using Governance.Hosting;

namespace ProxyAdapter.Pipeline;

/// <summary>
/// Step 6: the worst case held over every model the call may reach, from this adapter's budget leases
/// (<see cref="IGovernor.HoldAsync"/>). A budget that lacks headroom is <c>budget_exceeded</c>, naming the level.
/// </summary>
public sealed class HoldStage(IGovernor governor, LedgerOptions ledger, AdapterIdentity adapter)
{
    public async Task<Step<HeldRequest>> HoldAsync(LimitedRequest limited)
    {
        var request = limited.Request;
        var caller = request.Request.Request.Caller;
        var (decision, requested, worstCase) = (request.Admission.Decision, request.Requested, request.Shape.WorstCase);
        var hold = await governor.HoldAsync(new HoldRequest(decision.KeyId!, decision.App!, request.Admission.Grant?.Id,
            requested.Definition.Id, requested.Price.Version, worstCase, ledger.HoldTtl, adapter.Actor)
        {
            User = request.Attribution.User, Tags = request.Attribution.Tags,
        }, request.Now, caller.Http.RequestAborted);
        if (hold.Admission is { } admission)
            return new HeldRequest(limited, admission);

        var errors = caller.Surface.Errors;
        if (hold.Shortfall is { } shortfall)
            return new Refusal(errors.BudgetExceeded(shortfall), DenialReasons.BudgetExceeded,
                request.Attributed(RequestDenied.OverBudget(caller.RequestId, decision, requested.Definition.Id, shortfall, worstCase, adapter.Actor, request.Now)));
        // Not a budget's refusal (the API's lease answer, or governance_unavailable): recorded, and not counted in the
        // decisions metric, as before the pipeline.
        var refusal = decision with { Allowed = false, Reason = hold.Refusal ?? DenialReasons.GovernanceUnavailable };
        return new Refusal(errors.Denied(refusal.Denial!), null,
            request.Attributed(RequestDenied.Of(caller.RequestId, caller.PresentedKey, refusal, request.Shape.Model, adapter.Actor, request.Now)));
    }
}
