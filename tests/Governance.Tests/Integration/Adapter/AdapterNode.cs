using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Alba;
using Microsoft.Extensions.DependencyInjection;
using ProxyAdapter.Governance;

namespace Governance.Tests.Integration.Adapter;

/// <summary>One more adapter process for a test: its host, its state, and calls through it as an application makes them.</summary>
public sealed class AdapterNode(IAlbaHost host) : IAsyncDisposable
{
    public IAlbaHost Host { get; } = host;
    public AdapterState State => Host.Services.GetRequiredService<AdapterState>();

    /// <summary>An adapter of <paramref name="api"/> (default: the fixture's API node).</summary>
    public static async Task<AdapterNode> StartAsync(GovernanceFixture fx, GovernanceOutage? outage = null, IAlbaHost? api = null) =>
        new(await fx.StartProxyAsync(Api.Unique("edge"), outage, catchUp: false, api: api));

    /// <summary>Waits until this adapter has applied every feed event committed so far.</summary>
    public Task CaughtUpAsync(GovernanceFixture fx) => AdapterCatchUp.WaitAsync(fx, State);

    public async Task<(HttpStatusCode Status, string? Code)> ChatAsync(string key, string model, int maxTokens)
    {
        using var client = Host.Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model, max_tokens = maxTokens, messages = new[] { new { role = "user", content = "hi" } } }),
        };
        request.Headers.Authorization = new("Bearer", key);
        using var response = await client.SendAsync(request);
        if (response.IsSuccessStatusCode)
            return (response.StatusCode, null);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, body.GetProperty("error").GetProperty("code").GetString());
    }

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}
