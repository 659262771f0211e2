using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Governance.Api.Access;
using Governance.Api.Leases;
using Governance.Api.Usage;
using Governance.Contracts.Audit;
using Governance.Domain.Access;
using Governance.Domain.Usage;

namespace Governance.Api.Infrastructure;

/// <summary>
/// The records adapters and gateways send (usage, denials, authorize, leases): a field the API does not know is refused
/// (400 naming it), never dropped, so what an adapter meant to say is either recorded or answered. Only for HTTP bodies:
/// the same types in stored events stay lenient. Answers go the other way: clients ignore fields they do not know, so
/// the API may add some. Upgrade the API before its adapters.
/// </summary>
public static class WireContracts
{
    private static readonly HashSet<Type> Strict =
    [
        typeof(UsageRecord), typeof(FailedAttempt), typeof(DenialRecord), typeof(Authorize), typeof(RequestLease), typeof(RenewLease), typeof(ReturnLease),
        typeof(RefusalReport), typeof(RefusalCount),
    ];

    /// <summary>A <see cref="JsonBody.Strict"/> modifier: the wire records refuse members they do not know.</summary>
    public static void RefuseUnknownMembers(JsonTypeInfo type)
    {
        if (Strict.Contains(type.Type))
            type.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
    }
}
