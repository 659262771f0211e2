using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using OpenAI;
using OpenAI.Responses;

// The OpenAI SDK marks its Responses client experimental.
#pragma warning disable OPENAI001

namespace Governance.Tests.Integration.Proxy;

/// <summary>
/// Every app's calls reach the provider with the same account key, so a response stored there would be readable and
/// continuable with any key. The gateway never lets one be stored: <c>store: false</c> is sent, and everything that stores
/// or reads stored state is refused naming the parameter, for app A as for app B (docs/providers.md, "Stored state").
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_two_apps_share_a_provider_account_for_responses(GovernanceFixture fx, FakeProvider provider) : IClassFixture<FakeProvider>
{
    private ResponsesClient Sdk(Api.Issued key) => new(new ApiKeyCredential(key.Key), new ResponsesClientOptions
    {
        Endpoint = new Uri("http://proxy.test/v1"),
        Transport = new HttpClientPipelineTransport(fx.ProxyClient()),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });

    private static JsonElement Error(ClientResultException e) => JsonDocument.Parse(e.GetRawResponse()!.Content.ToString()).RootElement.GetProperty("error");

    [Fact]
    public async Task app_b_can_never_read_or_continue_app_as_response()
    {
        var upstream = Api.Unique("gpt");
        var model = await fx.Model([new(await fx.Provider(provider.BaseUrl), upstream)]);
        var appA = await fx.IssueKey(Api.Unique("app-a"), model);
        var appB = await fx.IssueKey(Api.Unique("app-b"), model);

        var created = (await Sdk(appA).CreateResponseAsync(model, "A's secret plan")).Value;
        Assert.False(provider.Requests.Single(r => r.Model == upstream).Body["store"]!.GetValue<bool>());

        // B cannot read it, list its input or delete it: the gateway keeps none and forwards no id.
        var read = await Assert.ThrowsAsync<ClientResultException>(() => Sdk(appB).GetResponseAsync(created.Id));
        Assert.Equal(404, read.Status);
        Assert.Equal("stored_responses_not_kept", (Error(read)).GetProperty("code").GetString());
        var client = fx.ProxyClient(appB.Key);
        Assert.Equal(404, (int)(await client.GetAsync($"/v1/responses/{created.Id}/input_items")).StatusCode);
        Assert.Equal(404, (int)(await client.DeleteAsync($"/v1/responses/{created.Id}")).StatusCode);
        // Nor continue it (nor can A: there is nothing stored to continue).
        foreach (var app in new[] { appB, appA })
        {
            var continued = await Assert.ThrowsAsync<ClientResultException>(() => Sdk(app).CreateResponseAsync(model, "continue", created.Id));
            Assert.Equal(400, continued.Status);
            Assert.Equal("previous_response_id", (Error(continued)).GetProperty("param").GetString());
        }
        Assert.Equal(1, provider.CallsTo(upstream));
    }

    [Fact]
    public async Task storing_or_reading_stored_state_is_refused_naming_the_parameter()
    {
        var upstream = Api.Unique("gpt");
        var model = await fx.Model([new(await fx.Provider(provider.BaseUrl), upstream)]);
        var key = await fx.IssueKey(Api.Unique("app"), model);

        var stored = await Assert.ThrowsAsync<ClientResultException>(() =>
            Sdk(key).CreateResponseAsync(new CreateResponseOptions(model, [ResponseItem.CreateUserMessageItem("hi")]) { StoredOutputEnabled = true }));
        Assert.Equal(400, stored.Status);
        Assert.Equal("store", (Error(stored)).GetProperty("param").GetString());
        Assert.Equal("stored_state_not_supported", (Error(stored)).GetProperty("code").GetString());

        var client = fx.ProxyClient(key.Key);
        foreach (var (extra, param) in new[]
                 {
                     (""","input":"hi","background":true""", "background"),
                     (",\"input\":\"hi\",\"conversation\":\"conv_123\"", "conversation"),
                     (""","input":"hi","prompt":{"id":"pmpt_123"}""", "prompt"),
                     (""","input":[{"type":"item_reference","id":"msg_123"}]""", "input[0].type"),
                     (""","input":[{"type":"reasoning","id":"rs_123","summary":[]}]""", "input[0].encrypted_content"),
                 })
        {
            var response = await client.PostAsync("/v1/responses", Routing.JsonBody($$"""{"model":"{{model}}"{{extra}}}"""));
            Assert.Equal(400, (int)response.StatusCode);
            Assert.Equal(param, (await response.Json()).GetProperty("error").GetProperty("param").GetString());
        }

        // Without a valid key, the stored-response endpoints answer as every call does.
        Assert.Equal(401, (int)(await fx.ProxyClient().GetAsync("/v1/responses/resp_123")).StatusCode);
        Assert.Equal(0, provider.CallsTo(upstream));
    }
}
