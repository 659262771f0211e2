using System.Text.Json;
using Governance.Domain.Operators;

namespace Governance.Tests.Integration.Leases;

/// <summary>
/// A minimal adapter speaking the lease protocol over plain HTTP, as docs/leases-and-feed.md describes it: admit from
/// local slices, lease the shortfall when they do not cover a request, retry after a recall, report usage naming the
/// leases, and answer recalls from the change feed by returning what is not committed.
/// </summary>
public sealed class SimulatedAdapter : IAsyncDisposable
{
    private sealed class LocalLease(string id)
    {
        public string Id { get; } = id;
        public decimal Remaining { get; set; }
        public decimal InFlight { get; set; }
        public int Grants { get; set; }
        public decimal Available => Remaining - InFlight;
    }

    /// <summary>An admitted request: the leases it holds its worst case in (none when the key has no budget).</summary>
    public sealed record Admission(string KeyId, decimal WorstCase, IReadOnlyList<string> LeaseIds);

    private readonly object _gate = new();
    private readonly SemaphoreSlim _leasing = new(1, 1);
    private readonly Dictionary<string, LocalLease> _leases = [];
    private readonly Dictionary<string, List<string>> _leasesOfKey = [];
    private readonly CancellationTokenSource _stop = new();
    private FeedClient? _feed;
    private Task _recalls = Task.CompletedTask;

    private SimulatedAdapter(string id, string token, HttpClient http)
    {
        Id = id;
        Token = token;
        Http = http;
    }

    public string Id { get; }
    public string Token { get; }
    public HttpClient Http { get; }
    public int Recalled { get; private set; }
    public int Retries { get; private set; }

    /// <summary>Issues the adapter's token; with <paramref name="answerRecalls"/>, follows the feed from a snapshot and answers recalls.</summary>
    public static async Task<SimulatedAdapter> StartAsync(GovernanceFixture fx, bool answerRecalls = true, string? adapterId = null)
    {
        var id = adapterId ?? Api.Unique("edge");
        var issued = await fx.Api.Post("/api/operators", new { name = id, roles = new[] { OperatorRoles.Adapter }, adapterId = id }, 201).Json();
        var token = issued.GetProperty("token").GetString()!;
        var http = fx.Api.Server.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var adapter = new SimulatedAdapter(id, token, http);
        if (!answerRecalls)
            return adapter;
        var cursor = (await http.GetFromJsonAsync<JsonElement>("/api/feed/snapshot")).GetProperty("cursor").GetInt64();
        adapter._feed = await FeedClient.ConnectAsync(fx, token, cursor);
        adapter._recalls = adapter.AnswerRecallsAsync();
        return adapter;
    }

    /// <summary>Admits a request of this worst case, leasing what is missing; null when the budget cannot cover it.</summary>
    public async Task<Admission?> AdmitAsync(string keyId, decimal worstCase)
    {
        while (true)
        {
            if (TryAdmit(keyId, worstCase) is { } admitted)
                return admitted;
            await _leasing.WaitAsync();
            try
            {
                // Another request may have leased meanwhile.
                if (TryAdmit(keyId, worstCase) is { } meanwhile)
                    return meanwhile;
                decimal available;
                lock (_gate)
                    available = _leasesOfKey.TryGetValue(keyId, out var ids) && ids.Count > 0 ? ids.Min(i => Math.Max(0m, _leases[i].Available)) : 0m;
                var response = await Http.PostAsJsonAsync("/api/leases", new { adapterId = Id, keyId, need = worstCase - available, want = worstCase * 10 });
                response.EnsureSuccessStatusCode();
                var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
                if (answer.GetProperty("granted").GetBoolean())
                {
                    lock (_gate)
                    {
                        var ids = new List<string>();
                        foreach (var slice in answer.GetProperty("slices").EnumerateArray())
                        {
                            var leaseId = slice.GetProperty("leaseId").GetString()!;
                            var amount = slice.GetProperty("amount").GetDecimal();
                            // A new lease starts from the API's count of its grants; a top-up is one more.
                            if (_leases.TryGetValue(leaseId, out var lease))
                                (lease.Remaining, lease.Grants) = (lease.Remaining + amount, lease.Grants + 1);
                            else
                                _leases[leaseId] = new LocalLease(leaseId) { Remaining = amount, Grants = slice.GetProperty("grants").GetInt32() };
                            ids.Add(leaseId);
                        }
                        _leasesOfKey[keyId] = ids;
                    }
                    if (answer.GetProperty("slices").GetArrayLength() == 0)
                        return new Admission(keyId, worstCase, []);
                    continue;
                }
                switch (answer.GetProperty("reason").GetString())
                {
                    case "retry":
                        // Recalls are answered within milliseconds; this many retries means the protocol is stuck.
                        if (++Retries > 500)
                            throw new InvalidOperationException($"Adapter {Id} retried 500 times without a lease.");
                        await Task.Delay(answer.GetProperty("retryAfterMs").GetInt32());
                        continue;
                    case "budget_exceeded":
                        return null;
                    default:
                        throw new InvalidOperationException("Unexpected lease answer: " + answer);
                }
            }
            finally
            {
                _leasing.Release();
            }
        }
    }

    private Admission? TryAdmit(string keyId, decimal worstCase)
    {
        lock (_gate)
        {
            if (!_leasesOfKey.TryGetValue(keyId, out var ids))
                return null;
            if (ids.Count == 0)
                return new Admission(keyId, worstCase, []);
            if (ids.Any(i => _leases[i].Available < worstCase))
                return null;
            foreach (var id in ids)
                _leases[id].InFlight += worstCase;
            return new Admission(keyId, worstCase, ids.ToList());
        }
    }

    /// <summary>Reports the request's usage naming its leases, then frees its worst case locally.</summary>
    public async Task CompleteAsync(Admission admission, string model, long outputTokens, decimal actualCost)
    {
        var response = await Http.PostAsJsonAsync("/api/usage", new
        {
            requestId = Api.RequestId(), keyId = admission.KeyId, model, inputTokens = 0, cachedTokens = 0, outputTokens, reasoningTokens = 0,
            latencyMs = 5, status = 200, leaseIds = admission.LeaseIds,
        });
        response.EnsureSuccessStatusCode();
        lock (_gate)
            foreach (var id in admission.LeaseIds)
            {
                _leases[id].Remaining -= actualCost;
                _leases[id].InFlight -= admission.WorstCase;
            }
    }

    private async Task AnswerRecallsAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var recall = await _feed!.NextAsync(e => e.Type == "change" && e.Data.GetProperty("type").GetString() == "lease_recalled"
                    && e.Data.GetProperty("lease").GetProperty("adapterId").GetString() == Id, timeoutSeconds: 3600);
                var leaseId = recall.Data.GetProperty("lease").GetProperty("leaseId").GetString()!;
                Recalled++;
                await ReturnUnusedAsync(leaseId);
            }
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException or System.Threading.Channels.ChannelClosedException)
        {
        }
    }

    /// <summary>Gives back what is not committed. Taken out of the local slice first, so nothing is admitted from it meanwhile.</summary>
    public async Task ReturnUnusedAsync(string leaseId)
    {
        decimal unused;
        int grants;
        lock (_gate)
        {
            if (!_leases.TryGetValue(leaseId, out var lease))
                return;
            unused = Math.Max(0m, lease.Available);
            grants = lease.Grants;
            lease.Remaining -= unused;
        }
        var response = await Http.PostAsJsonAsync($"/api/leases/{leaseId}/return", new { unused, grants });
        response.EnsureSuccessStatusCode();
        var returned = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("changed").GetDecimal();
        lock (_gate)
            _leases[leaseId].Remaining += unused - returned;
    }

    /// <summary>Shutdown: every lease gives back what it does not use.</summary>
    public async Task ReturnAllAsync()
    {
        List<string> ids;
        lock (_gate)
            ids = _leases.Keys.ToList();
        foreach (var id in ids)
            await ReturnUnusedAsync(id);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_feed is not null)
            await _feed.DisposeAsync();
        await _recalls;
        Http.Dispose();
    }
}
