using System.Text.Json.Nodes;
using Governance.Domain.Usage;
using ProxyAdapter.Limits;
using ProxyAdapter.Routing;
using ProxyAdapter.Surfaces;

namespace ProxyAdapter.Pipeline;

// The states a call passes through, each what its stage established (Gateway's numbered steps).

/// <summary>After step 1: the caller presented a key that may call something.</summary>
public sealed record Caller(HttpContext Http, Surface Surface, string PresentedKey, long Arrived)
{
    public string RequestId => RequestIds.Of(Http);
}

/// <summary>After step 2: the body, JSON by media type and within the limit, read to its end.</summary>
public sealed record RawRequest(Caller Caller, byte[] Raw);

/// <summary>After step 3: one JSON object, read by the surface (model, streaming, output bounds).</summary>
public sealed record ParsedRequest(RawRequest Request, JsonObject Body, CallShape Shape);

/// <summary>After step 4: the model admitted for this key, the routes in the order to try them, the shape fitted to them.</summary>
public sealed record AdmittedRequest(ParsedRequest Request, Admission Admission, IReadOnlyList<PlannedRoute> Plan, CallShape Shape, DateTimeOffset Now)
{
    /// <summary>The model asked for, or the first member of the group asked for: whose price and limits the hold names.</summary>
    public CandidateModel Requested => Admission.Models[0];

    /// <summary>Which strategy put the plan's first route first, and why: what the request log shows.</summary>
    public RoutingChoice? Routing { get; init; }
}

/// <summary>After step 5: the key's own limits gave the call a permit (given back when the call is recorded).</summary>
public sealed record LimitedRequest(AdmittedRequest Request, RateLimitPermit Permit);

/// <summary>After step 6: the worst case is held under this adapter's leases.</summary>
public sealed record HeldRequest(LimitedRequest Request, LeaseAdmission Admission);
