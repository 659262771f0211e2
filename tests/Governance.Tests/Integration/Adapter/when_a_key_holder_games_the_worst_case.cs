using System.Net;
using Governance.Tests.Integration.Proxy;
using Microsoft.Extensions.DependencyInjection;
using ProxyAdapter.Reporting;

namespace Governance.Tests.Integration.Adapter;

/// <summary>
/// Issue 16's attack on "zero overspend": one request whose <c>max_tokens × n</c> overflows a long must not make room in
/// the adapter's leases for the requests after it. Usage is acknowledged late here (the sink holds every report, as a
/// journal shipping every 20 ms does), so whatever the first request did to the slices is still in force when the others
/// arrive.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_a_key_holder_games_the_worst_case(GovernanceFixture fx)
{
    [Fact]
    public async Task an_overflowing_max_tokens_is_refused_and_ten_concurrent_calls_still_fit_a_five_cent_budget()
    {
        await using var node = await AdapterNode.StartAsync(fx);
        // $5,000 per 1M output tokens, no input price: max_tokens 8 is a $0.04 worst case; the fake upstream answers 7 ($0.035).
        var model = await fx.ProviderAndModel(inputPrice: 0m, outputPrice: 5_000m);
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await fx.Api.Put($"/api/budgets/key/{key.Id}", new { limit = 0.05m, period = "monthly" }, 200);
        await node.CaughtUpAsync(fx);
        var sink = (DirectUsageSink)node.Host.Services.GetRequiredService<IUsageSink>();
        var acknowledge = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sink.Holding = acknowledge.Task;
        List<string> admitted;
        try
        {
            var attack = await SendAsync(node, key.Key, Routing.ChatJson(model, "hi", extra: ",\"n\":2,\"max_tokens\":9223372034854775807"));
            Assert.Equal(HttpStatusCode.BadRequest, attack.Status);

            var calls = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ =>
                SendAsync(node, key.Key, Routing.ChatJson(model, "hi", extra: ",\"max_tokens\":8"))));

            admitted = calls.Where(c => c.Status == HttpStatusCode.OK).Select(c => c.RequestId).ToList();
            Assert.Single(admitted);
            Assert.All(calls.Where(c => c.Status != HttpStatusCode.OK), c => Assert.Equal(HttpStatusCode.TooManyRequests, c.Status));
        }
        finally
        {
            sink.Holding = null;
            acknowledge.TrySetResult();
        }

        foreach (var requestId in admitted)
            await fx.RecordedEventually(requestId);
        var budget = await fx.Api.Get($"/api/budgets/key/{key.Id}").Json();
        Assert.True(budget.GetProperty("settled").GetDecimal() <= 0.05m, budget.ToString());
    }

    /// <summary>The status and request id, without waiting for the handler to finish (it waits for the held usage record).</summary>
    private static async Task<(HttpStatusCode Status, string RequestId)> SendAsync(AdapterNode node, string key, string json)
    {
        using var client = node.Host.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        using var response = await client.SendAsync(
            new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Routing.JsonBody(json) },
            HttpCompletionOption.ResponseHeadersRead).WaitAsync(TimeSpan.FromSeconds(30));
        return (response.StatusCode, response.RequestId());
    }
}
