using Governance.Hosting;
using ProxyAdapter.Surfaces;

namespace ProxyAdapter.Pipeline;

/// <summary>Step 3: one JSON object (<see cref="RequestJson"/>), then the surface's reading of it; a refusal names the field at fault.</summary>
public sealed class RequestParser(LedgerOptions ledger)
{
    public Step<ParsedRequest> Parse(RawRequest request)
    {
        var surface = request.Caller.Surface;
        if (RequestJson.Read(request.Raw, surface.Errors, out var body) is { } malformed)
            return new Refusal(malformed);
        if (surface.Prepare(body, ledger, out var shape) is { } refused)
            return new Refusal(refused);
        return new ParsedRequest(request, body, shape);
    }
}
