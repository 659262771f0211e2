using Governance.Tests.Integration.Proxy;
using Microsoft.Extensions.DependencyInjection;
using ProxyAdapter.Reporting;

namespace Governance.Tests.Integration.Adapter;

/// <summary>
/// The caller does not wait for the usage record's commit (the journal's fsync): a complete answer is sent and finished
/// first, and the handler returns once the record is committed, so every answered request is still charged.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_the_usage_record_is_committed(GovernanceFixture fx)
{
    [Fact]
    public async Task the_client_has_its_whole_answer_while_the_commit_is_still_pending_and_the_call_is_charged_once_it_completes()
    {
        await using var node = await AdapterNode.StartAsync(fx);
        var model = await fx.ProviderAndModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await node.CaughtUpAsync(fx);
        var sink = (DirectUsageSink)node.Host.Services.GetRequiredService<IUsageSink>();
        var commit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sink.Holding = commit.Task;
        try
        {
            using var client = node.Host.Server.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", key.Key);
            using var response = await client.SendAsync(
                new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Routing.JsonBody(Routing.ChatJson(model, "hi")) },
                HttpCompletionOption.ResponseHeadersRead).WaitAsync(TimeSpan.FromSeconds(15));
            // The answer has a length: every byte of it is here (the test server ends the stream itself only when the handler returns).
            var length = response.Content.Headers.ContentLength;
            Assert.NotNull(length);
            var body = new byte[length.Value];
            await (await response.Content.ReadAsStreamAsync()).ReadExactlyAsync(body).AsTask().WaitAsync(TimeSpan.FromSeconds(15));
            var answer = System.Text.Json.JsonDocument.Parse(body).RootElement;

            Assert.Equal(200, (int)response.StatusCode);
            Assert.Equal(FakeUpstream.CompletionTokens, answer.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
            Assert.Null(await fx.Recorded(response.RequestId()));

            commit.SetResult();
            var recorded = await fx.RecordedEventually(response.RequestId());
            Assert.Equal(FakeUpstream.CompletionTokens, recorded.OutputTokens);
        }
        finally
        {
            sink.Holding = null;
            commit.TrySetResult();
        }
    }
}
