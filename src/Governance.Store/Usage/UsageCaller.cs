using Microsoft.Extensions.Configuration;

namespace Governance.Store.Usage;

/// <summary>
/// Who reports usage, and what it may settle. <see cref="Holder"/>: the adapter id of an adapter's token (else the token
/// id), which must be the holder of every lease and reservation a record names, unless <see cref="SettlesAny"/> (an
/// admin, who may replay any adapter's records).
/// </summary>
public sealed record UsageCaller(string Actor, string Holder, bool SettlesAny = false);

/// <summary>
/// <see cref="ClockSkew"/> (<c>Usage__ClockSkewSeconds</c>, 60): how far a reported <c>occurredAt</c> may stray from the
/// API's clock (into the future) and from the lease or hold that admitted the request. Keep it above the adapter's longest
/// wait for a lease (<c>Proxy__LeaseWaitSeconds</c> + <c>Proxy__GovernanceTimeoutMs</c>): a request's time is taken when it
/// arrives, before its lease is granted.
/// </summary>
public sealed record UsageOptions(TimeSpan ClockSkew)
{
    public static readonly UsageOptions Default = new(TimeSpan.FromSeconds(60));

    /// <summary>The keyed pseudonyms of end users (docs/attribution.md); null: a report naming an end user is refused.</summary>
    public Governance.Hosting.Secrets.EndUserPseudonyms? Pseudonyms { get; init; }

    public static UsageOptions From(IConfiguration configuration) => new(
        configuration.GetValue("Usage:ClockSkewSeconds", Default.ClockSkew.TotalSeconds) is var seconds and >= 0 and <= 3600
            ? TimeSpan.FromSeconds(seconds)
            : throw new InvalidOperationException("Usage__ClockSkewSeconds must be between 0 and 3600."))
    {
        Pseudonyms = Governance.Hosting.Secrets.EndUserPseudonyms.From(configuration),
    };
}
