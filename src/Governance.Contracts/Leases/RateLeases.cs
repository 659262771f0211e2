namespace Governance.Contracts.Leases;

/// <summary>
/// What an adapter hands back of an earlier slot's grant (unused requests and tokens) with its next ask, so the rest of
/// the fleet can use it for the rest of the minute.
/// </summary>
public sealed record RateLeaseReturn(long Slot, long Requests, long Tokens);

/// <summary>
/// The answer to <c>POST /api/rate-leases</c>, always 200 for a decision. <see cref="Granted"/>: <see cref="Requests"/>
/// and <see cref="Tokens"/> are added to the adapter's part of slot <see cref="Slot"/>, usable until
/// <see cref="SlotEnd"/>, and the adapter now holds <see cref="Parallel"/> parallel slots of the key. Otherwise
/// <see cref="Limit"/> names the limit the fleet has reached (<c>requests_per_minute</c>, <c>tokens_per_minute</c>,
/// <c>max_parallel</c>) or the key is unknown (<c>unknown_key</c>); ask again after <see cref="RetryAfterMs"/>.
/// </summary>
public sealed record RateLeaseAnswer(
    bool Granted, string? Limit, long Slot, DateTimeOffset SlotEnd, long Requests, long Tokens, int Parallel, int RetryAfterMs)
{
    public const string UnknownKey = "unknown_key";
}
