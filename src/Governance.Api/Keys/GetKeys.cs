using Governance.Domain.Keys;
using Governance.Domain.Usage;
using Marten;
using Wolverine.Http;
using Wolverine.Marten;

namespace Governance.Api.Keys;

public static class GetKeysEndpoints
{
    public const int MaxPage = 1000;

    [WolverineGet("/api/keys/{id}")]
    public static KeyView Get([ReadAggregate] VirtualKey key) => KeyView.From(key);

    [WolverineGet("/api/keys")]
    public static async Task<IReadOnlyList<KeyView>> List(string? app, IQuerySession session, CancellationToken ct)
    {
        var query = session.Query<VirtualKey>();
        var keys = app is null
            ? await query.OrderBy(k => k.IssuedAt).Take(MaxPage).ToListAsync(ct)
            : await query.Where(k => k.App == app).OrderBy(k => k.IssuedAt).Take(MaxPage).ToListAsync(ct);
        return keys.Select(KeyView.From).ToList();
    }

    /// <summary>The key's request log, newest first.</summary>
    [WolverineGet("/api/keys/{id}/requests")]
    public static async Task<IReadOnlyList<RequestRecord>> Requests(
        [ReadAggregate] VirtualKey key, int? limit, IQuerySession session, CancellationToken ct) =>
        await session.Query<RequestRecord>()
            .Where(r => r.KeyId == key.Id)
            .OrderByDescending(r => r.CompletedAt)
            .Take(Math.Clamp(limit ?? 100, 1, MaxPage))
            .ToListAsync(ct);
}
