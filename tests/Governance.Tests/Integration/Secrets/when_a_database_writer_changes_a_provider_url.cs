using System.Net;
using System.Net.Http.Headers;
using Governance.Domain.Usage;
using Governance.Projections.Feed;
using Governance.Tests.Integration.Adapter;
using Governance.Tests.Integration.Proxy;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Governance.Tests.Integration.Secrets;

/// <summary>
/// Someone who can write to PostgreSQL but does not hold the master key points a provider at their own host, hoping the
/// proxy sends it the provider's API key. The key's ciphertext is bound to the base URL, so it no longer decrypts.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_a_database_writer_changes_a_provider_url(GovernanceFixture fx)
{
    [Fact]
    public async Task the_key_does_not_decrypt_and_nothing_is_sent_to_the_new_url()
    {
        await using var attacker = await StandIn.StartAsync();
        var upstreamModel = Api.Unique("bound");
        var prov = await fx.Provider(fx.Upstream.BaseUrl);
        var model = await fx.Model([new(prov, upstreamModel)]);
        var key = await fx.IssueKey(Api.Unique("app"), model);
        // The edit comes once the registration is behind the feed's stable mark: a proxy started later takes the provider
        // from its snapshot (the edited document), not from the feed's copy of the change as registered.
        await fx.Api.Services.GetRequiredService<FeedHub>().WaitForMarkAsync(await AdapterCatchUp.NewestFeedEventAsync(fx), TimeSpan.FromSeconds(10));

        await using (var connection = new NpgsqlConnection(fx.ConnectionString))
        {
            await connection.OpenAsync();
            await using var edit = new NpgsqlCommand(
                $"update {fx.Schema}.mt_doc_provider set data = jsonb_set(data, '{{BaseUrl}}', to_jsonb(@url::text)) where id = @id", connection);
            edit.Parameters.AddWithValue("url", attacker.Url + "/v1");
            edit.Parameters.AddWithValue("id", prov);
            Assert.Equal(1, await edit.ExecuteNonQueryAsync());
        }
        // A proxy that starts now loads the edited provider from its snapshot.
        await using var adapter = await fx.StartProxyAsync(Api.Unique("edge"));
        using var client = adapter.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Key);

        using var response = await client.PostAsync("/v1/chat/completions", Routing.JsonBody(Routing.ChatJson(model, "hello")));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Empty(attacker.Requests);
        Assert.DoesNotContain(fx.Upstream.Requests, r => r.Model == upstreamModel);
        var recorded = await fx.RecordedEventually(response.RequestId());
        Assert.Equal(AttemptFailures.KeyUnavailable, Assert.Single(recorded.FailedAttempts).Reason);
        Assert.Contains(fx.Logs.Lines, l => l.Contains($"the API key of provider {prov} cannot be decrypted") && l.Contains("URL was changed"));
        Assert.DoesNotContain(fx.Logs.Lines, l => l.Contains("sk-provider-" + prov));
    }
}
