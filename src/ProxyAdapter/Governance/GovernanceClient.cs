using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Governance.Contracts;
using Governance.Contracts.Feed;
using Governance.Contracts.Leases;
using Governance.Hosting.Audit;

namespace ProxyAdapter.Governance;

/// <summary>The governance API calls the adapter makes, over the named client (base URL and adapter token set there).</summary>
public sealed class GovernanceClient(IHttpClientFactory clients, AdapterOptions options)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public HttpClient Http() => clients.CreateClient(GovernanceApiOptions.ClientName);

    /// <summary>
    /// Reads the snapshot into <paramref name="state"/> as it arrives and returns its cursor. It grows with the number of
    /// keys (about 24 MB for 100,000), so it has a deadline of its own.
    /// </summary>
    public async Task<long> ReadSnapshotAsync(AdapterState state, CancellationToken ct)
    {
        using var timeout = Deadline(ct, options.SnapshotTimeout);
        using var response = await Http().GetAsync("api/feed/snapshot", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        await EnsureSpokenAsync(response, timeout.Token);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
        return await SnapshotReader.ReadAsync(body, state, Json, timeout.Token);
    }

    public Task<FeedPage> PageAsync(long after, CancellationToken ct) => GetAsync<FeedPage>($"api/feed?wait=false&after={after}", ct);

    /// <summary>Asked on behalf of a client's request: the lease's events carry that request's correlation id.</summary>
    /// <remarks>
    /// <c>want</c> is <see cref="AdapterOptions.LeaseWantMultiplier"/> × need: usage is acknowledged in batches, so
    /// a busy adapter's admitted requests stay in flight for a while, and a small slice would mean a lease call every
    /// few requests. The API's fair share and near-exhaustion rules still cap what is granted.
    /// </remarks>
    /// <param name="ahead">A top-up ahead of need (no request waits for it): it recalls no other adapter's lease and
    /// carries the adapter's own correlation id.</param>
    /// <param name="want">What to ask for when not the default multiple of <paramref name="need"/> (a top-up sized to the traffic).</param>
    public Task<LeaseResult> RequestLeaseAsync(
        string adapterId, string keyId, string? model, decimal need, CancellationToken ct, bool ahead = false, decimal? want = null) =>
        PostAsync<LeaseResult>("api/leases", new { adapterId, keyId, model, need, want = want ?? need * options.LeaseWantMultiplier, recall = !ahead },
            ahead ? Own("topup") : AuditContext.Current?.CorrelationId ?? Own("lease"), ct)!;

    /// <summary>Part of a key's fleet-wide rate allowance (docs/gateway.md, "Rate limits"): always an answer, or an exception.</summary>
    public async Task<RateLeaseAnswer> RateLeaseAsync(string adapterId, string keyId, Limits.FleetAsk ask, CancellationToken ct) =>
        (await PostAsync<RateLeaseAnswer>("api/rate-leases", new
        {
            adapterId, keyId, requests = ask.Requests, wantRequests = ask.WantRequests, tokens = ask.Tokens, wantTokens = ask.WantTokens,
            parallel = ask.Parallel, @return = ask.Unused,
        }, AuditContext.Current?.CorrelationId ?? Own("rate"), ct))
        ?? throw new HttpRequestException("The governance API answered a rate lease with a conflict.");

    /// <summary>Null when the lease has expired (409 <c>lease_expired</c>): ask for a new one.</summary>
    public Task<LeaseView?> RenewAsync(string leaseId, CancellationToken ct) =>
        PostAsync<LeaseView>($"api/leases/{leaseId}/renew", new { }, Own("renew"), ct);

    /// <summary>
    /// <paramref name="grants"/>: how many of the lease's grants and top-ups were merged when <paramref name="unused"/>
    /// was counted; null for a lease this process does not know (then what it holds counts as in flight).
    /// </summary>
    public Task<LeaseView?> ReturnAsync(string leaseId, decimal unused, int? grants, CancellationToken ct) =>
        PostAsync<LeaseView>($"api/leases/{leaseId}/return", new { unused, grants }, Own("return"), ct);

    /// <summary>
    /// An API that does not speak this adapter's contract version (<see cref="ContractVersion"/>) refuses its first call
    /// (the snapshot, the feed): the error then says so in the API's words (which versions it speaks), not as a bare 400.
    /// </summary>
    public static async Task EnsureSpokenAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.StatusCode != HttpStatusCode.BadRequest)
            return;
        var body = await response.Content.ReadAsStringAsync(ct);
        if (body.Contains("contract_version_unsupported", StringComparison.Ordinal))
            throw new HttpRequestException($"The governance API refuses this adapter's contract version {ContractVersion.Current}: {body}",
                null, response.StatusCode);
    }

    /// <summary>The correlation id of the adapter's own background work (renewals, recall answers, shutdown returns).</summary>
    public static string Own(string what) => $"{OwnCorrelationPrefix}{what}-{Guid.NewGuid():N}";

    public const string OwnCorrelationPrefix = "adapter-";

    private async Task<T> GetAsync<T>(string url, CancellationToken ct)
    {
        using var timeout = Deadline(ct);
        return (await Http().GetFromJsonAsync<T>(url, Json, timeout.Token))!;
    }

    private async Task<T?> PostAsync<T>(string url, object body, string correlationId, CancellationToken ct) where T : class
    {
        using var timeout = Deadline(ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body, options: Json) };
        request.Headers.TryAddWithoutValidation(AuditHttp.CorrelationHeader, correlationId);
        using var response = await Http().SendAsync(request, timeout.Token);
        if (response.StatusCode == HttpStatusCode.Conflict)
            return null;
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<T>(Json, timeout.Token);
    }

    private CancellationTokenSource Deadline(CancellationToken ct, TimeSpan? deadline = null)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(ct);
        source.CancelAfter(deadline ?? options.CallTimeout);
        return source;
    }
}
