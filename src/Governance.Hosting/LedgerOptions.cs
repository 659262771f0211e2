using Microsoft.Extensions.Configuration;

namespace Governance.Hosting;

/// <summary>
/// How holds are sized and how long they live. A hold is the request's worst case: when a caller of /api/authorize does
/// not say how many tokens it may use, these defaults are assumed, and the caller must not exceed them. The proxy takes
/// <see cref="DefaultMaxOutputTokens"/> as the maximum output of a model whose catalog entry names none (HoldSizing).
/// </summary>
public sealed record LedgerOptions(TimeSpan HoldTtl, long DefaultMaxInputTokens, long DefaultMaxOutputTokens)
{
    public static LedgerOptions From(IConfiguration configuration) => new(
        TimeSpan.FromSeconds(configuration.GetValue("Budgets:HoldTtlSeconds", 600)),
        configuration.GetValue("Budgets:DefaultMaxInputTokens", 8_192L),
        configuration.GetValue("Budgets:DefaultMaxOutputTokens", 4_096L));
}
