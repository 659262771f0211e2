using Governance.Domain.Usage;
using Marten;
using Marten.Events;

namespace Governance.Tests.Integration.Dashboards;

/// <summary>Writes ledger entries straight to the event store, as a proxy does, then waits for the async daemon.</summary>
public static class Ledger
{
    public static RequestCompleted Request(string key, string app, string model, decimal cost, DateTimeOffset at,
        string? team = null, int status = 200, long input = 100, long output = 10, string? id = null) =>
        new(RequestId: id ?? Api.RequestId(), KeyId: key, App: app, Team: team, Model: model, Provider: "prov",
            InputTokens: input, CachedTokens: input / 10, OutputTokens: output, ReasoningTokens: output / 2, Cost: cost,
            PriceVersion: 1, LatencyMs: 25, Status: status, ReservationId: null, ReportedBy: "adapter:test",
            OccurredAt: at.ToUniversalTime(), RecordedAt: at.ToUniversalTime());

    public static async Task RecordAsync(this GovernanceFixture fx, params RequestCompleted[] requests)
    {
        await using (var session = fx.Store.LightweightSession())
        {
            foreach (var request in requests)
                session.Events.StartStream<RequestRecord>(request.RequestId, request);
            await session.SaveChangesAsync();
        }
        await fx.Api.Services.GetRequiredService<IDocumentStore>().WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));
    }
}
