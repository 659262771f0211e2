using System.Security.Claims;
using Governance.Api.Infrastructure;
using Governance.Domain.Catalog;
using Governance.Domain.Operators;
using Governance.Domain.Pricing;
using Marten;
using Wolverine.Http;

namespace Governance.Api.Prices;

public sealed record ImportResult(IReadOnlyList<string> Updated, IReadOnlyList<string> Unchanged, IReadOnlyList<SkippedEntry> Skipped);

/// <summary>
/// POST /api/prices/import: a price file in LiteLLM's model_prices_and_context_window.json format, optionally limited
/// to <c>?models=a,b</c>. Each changed price becomes a PriceSet event effective now (or at <c>?effectiveFrom=</c>, not in the
/// past); a price equal to the one in effect is left alone, so importing the same file twice writes nothing. An entry's
/// max_input_tokens and max_output_tokens become the model's limits (a changed limit is written even when the price is not).
/// </summary>
public static class ImportPricesEndpoint
{
    [WolverinePost("/api/prices/import")]
    [Roles(OperatorRoles.Admin)]
    public static async Task<IResult> Post(
        HttpRequest request, string? models, DateTimeOffset? effectiveFrom, IDocumentSession session, ClaimsPrincipal user, TimeProvider clock,
        CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (effectiveFrom < now)
            return Problems.Field("effectiveFrom", "'effectiveFrom' cannot be in the past: recorded requests keep the price they were charged.");
        LiteLlmImport parsed;
        try
        {
            using var reader = new StreamReader(request.Body);
            parsed = LiteLlmPriceFile.Parse(await reader.ReadToEndAsync(ct),
                models?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        catch (FormatException e)
        {
            return Problems.Field("body", e.Message);
        }

        var from = effectiveFrom ?? now;
        var existing = (await session.LoadManyAsync<ModelDefinition>(ct, parsed.Prices.Select(p => p.Model))).ToDictionary(m => m.Id);
        List<string> updated = [], unchanged = [];
        foreach (var price in parsed.Prices)
        {
            var current = existing.GetValueOrDefault(price.Model);
            if (current is not null && PriceHistory.IsSameAsLatest(current.Prices, price.InputPer1M, price.OutputPer1M, price.CachedInputPer1M, from)
                && price.Limits.Over(current.Limits) == current.Limits)
            {
                unchanged.Add(price.Model);
                continue;
            }
            var set = new PriceSet(price.Model, price.InputPer1M, price.OutputPer1M, price.CachedInputPer1M, from, "LiteLLM price file import", user.Actor(), now)
            {
                Limits = price.Limits.IsEmpty ? null : price.Limits,
            };
            if (current is null)
                session.Events.StartStream<ModelDefinition>(price.Model, set);
            else
                session.Events.Append(price.Model, set);
            updated.Add(price.Model);
        }
        return Results.Ok(new ImportResult(updated, unchanged, parsed.Skipped));
    }
}
