using System.Text.Json;
using Governance.Tests.Integration.Proxy;

namespace Governance.Tests.Integration.Observability;

[Collection(GovernanceCollection.Name)]
public sealed class when_logs_are_written_as_json(GovernanceFixture fx)
{
    [Fact]
    public async Task each_line_is_a_json_object_and_a_failing_proxied_calls_lines_carry_its_request_id()
    {
        var (proxy, logs) = await JsonLogCapture.StartProxy(fx);
        await using var host = proxy;
        // A provider nobody listens on: the call fails, and the gateway logs each failed attempt while serving it.
        var model = await fx.ProviderAndModel(baseUrl: "http://127.0.0.1:9/v1");
        var key = await fx.IssueKey(Api.Unique("app"), model);

        var client = proxy.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key.Key);
        var response = await client.PostAsync("/v1/chat/completions", Routing.JsonBody(Routing.ChatJson(model, "hi")));
        Assert.Equal(502, (int)response.StatusCode);
        var requestId = response.RequestId();

        Assert.Equal("json", logs.FormatterName);
        var lines = logs.Lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(lines, l => Assert.True(l.TryGetProperty("Category", out _) && l.TryGetProperty("LogLevel", out _)));
        var ofTheCall = lines.Where(l => l.TryGetProperty("Scopes", out var scopes)
            && scopes.EnumerateArray().Any(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("RequestId", out var id) && id.GetString() == requestId)).ToList();
        Assert.NotEmpty(ofTheCall);
        Assert.All(ofTheCall, l => Assert.Contains(l.GetProperty("Scopes").EnumerateArray(), s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("CorrelationId", out _)));
    }
}
