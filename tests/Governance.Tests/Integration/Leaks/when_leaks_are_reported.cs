using System.Net;
using Alba;
using Governance.Api;
using Governance.Api.Access;
using Governance.Domain.Access;
using System.Security.Cryptography;
using System.Text.Json;
using Governance.Domain.Keys;
using Governance.Domain.Leaks;
using Governance.Domain.Secrets;
using Governance.Projections.Alerts;
using Governance.Tests.Integration.Proxy;
using Marten;
using Npgsql;
using static Governance.Tests.Integration.Leaks.LeakReporter;

namespace Governance.Tests.Integration.Leaks;

/// <summary>
/// A secret-scanning service reports tokens it found (GitHub's secret scanning partner program): a signed report about
/// a live key applies its app's leak policy, tells the app's webhook and answers each token's label; anything unsigned or
/// badly signed changes nothing.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_leaks_are_reported(GovernanceFixture fx)
{
    private async Task<JsonElement> Key(string id) => await fx.Api.Get($"/api/keys/{id}").Json();

    private async Task<HttpStatusCode> Call(string model, string key)
    {
        using var client = fx.ProxyClient(key);
        using var response = await client.PostAsync("/v1/chat/completions", Routing.JsonBody(Routing.ChatJson(model, "hi")));
        return response.StatusCode;
    }

    private async Task<IReadOnlyList<T>> EventsOf<T>(string streamId)
    {
        await using var session = fx.Store.QuerySession();
        return (await session.Events.FetchStreamAsync(streamId)).Select(e => e.Data).OfType<T>().ToList();
    }

    private async Task<long> RowsContaining(string text)
    {
        await using var connection = new NpgsqlConnection(fx.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"select (select count(*) from {fx.Schema}.mt_events where data::text like @p) + (select count(*) from {fx.Schema}.mt_streams where id like @p)", connection);
        command.Parameters.AddWithValue("p", "%" + text + "%");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<long> LeakRecordsOf(string token)
    {
        await using var connection = new NpgsqlConnection(fx.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"select count(*) from {fx.Schema}.mt_events where type = 'leak_reported' and data->>'TokenFingerprint' = @f", connection);
        command.Parameters.AddWithValue("f", SecretFingerprint.Of(token));
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task SetPolicy(string app, string policy) => await Routing.Put(fx.Api, $"/api/apps/{app}/leak-policy", new { policy }, 200);

    [Fact]
    public async Task a_signed_report_revokes_a_live_key_and_the_proxy_refuses_it()
    {
        var model = await fx.ProviderAndModel();
        var leaked = await fx.IssueKey(Api.Unique("leaky"), model);
        Assert.Equal(HttpStatusCode.OK, await Call(model, leaked.Key));

        var (status, answer) = await ReportAsync(fx, Ecdsa(fx), Token(leaked.Key));

        Assert.Equal(200, status);
        var outcome = Assert.Single(answer.EnumerateArray());
        Assert.Equal((SecretFingerprint.Of(leaked.Key), "governance_virtual_key", "true_positive"),
            (outcome.GetProperty("token_hash").GetString(), outcome.GetProperty("token_type").GetString(), outcome.GetProperty("label").GetString()));
        var key = await Key(leaked.Id);
        Assert.Equal(("revoked", $"leaked: reported as governance_virtual_key at {Url}"),
            (key.GetProperty("status").GetString(), key.GetProperty("statusReason").GetString()));
        Assert.Equal(HttpStatusCode.Unauthorized, await Call(model, leaked.Key));
        // The record keeps the key id and the fingerprint; nothing anywhere keeps the token.
        var fingerprint = SecretFingerprint.Of(leaked.Key);
        var reported = Assert.Single(await EventsOf<LeakReported>(LeakReport.StreamId(LeakReport.IdOf(fingerprint, "governance_virtual_key", Url, "content"))));
        Assert.Equal((leaked.Id, LeakActions.Revoked, "key:" + GovernanceFixture.LeakReporterKeyId, LeakReport.Actor),
            (reported.KeyId, reported.Action, reported.Reporter, reported.ReportedBy));
        Assert.Equal(LeakReport.Actor, Assert.Single(await EventsOf<KeyRevoked>(leaked.Id)).RevokedBy);
        Assert.Equal(0, await RowsContaining(leaked.Key[^38..]));
        Assert.Equal(1, await LeakRecordsOf(leaked.Key));
    }

    [Fact]
    public async Task the_apps_policy_decides_suspend_or_alert_only_and_the_policy_is_readable_as_of_then()
    {
        var model = await fx.ProviderAndModel();
        var (suspending, alerting) = (Api.Unique("suspending"), Api.Unique("alerting"));
        var suspended = await fx.IssueKey(suspending, model);
        var alerted = await fx.IssueKey(alerting, model);
        var before = fx.Clock.GetUtcNow();
        fx.Clock.Advance(TimeSpan.FromSeconds(1));
        await SetPolicy(suspending, LeakPolicies.Suspend);
        await SetPolicy(alerting, LeakPolicies.Alert);

        var (status, answer) = await ReportAsync(fx, Hmac(fx), Token(suspended.Key), Token(alerted.Key));

        Assert.Equal(200, status);
        Assert.Equal(["true_positive", "true_positive"], Labels(answer));
        var stopped = await Key(suspended.Id);
        Assert.Equal(("suspended", LeakReport.Actor), (stopped.GetProperty("status").GetString(), stopped.GetProperty("suspendedBy").GetString()));
        Assert.Equal("active", (await Key(alerted.Id)).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, await Call(model, suspended.Key));
        Assert.Equal(HttpStatusCode.OK, await Call(model, alerted.Key));
        Assert.Equal("suspend", (await fx.Api.Get($"/api/apps/{suspending}").Json()).GetProperty("leakPolicy").GetString());
        var then = await fx.Api.Get($"/api/apps/{suspending}?asOf={Uri.EscapeDataString(before.ToString("O"))}").Json();
        Assert.Equal("revoke", then.GetProperty("leakPolicy").GetString());
        Assert.Equal(LeakActions.Alerted, (await EventsOf<LeakReported>(LeakReport.StreamId(
            LeakReport.IdOf(SecretFingerprint.Of(alerted.Key), "governance_virtual_key", Url, "content")))).Single().Action);
        await Routing.Put(fx.Api, $"/api/apps/{alerting}/leak-policy", new { policy = "ignore" }, 400);
    }

    [Fact]
    public async Task the_owner_apps_webhook_is_told_with_a_signature_it_can_verify_and_without_the_token()
    {
        await using var receiver = new WebhookReceiver();
        await receiver.StartAsync();
        const string secret = "leak-webhook-secret-0123456789";
        var app = Api.Unique("watched");
        await Routing.Put(fx.Api, $"/api/apps/{app}/webhook", new { url = receiver.Url, secret }, 200);
        var leaked = await fx.IssueKey(app, "*");

        await ReportAsync(fx, Ecdsa(fx), Token(leaked.Key));

        var alerts = await receiver.WaitForAsync(b => b.GetProperty("type").GetString() == "key.leaked" && b.GetProperty("keyId").GetString() == leaked.Id,
            1, TimeSpan.FromSeconds(20));
        var alert = Assert.Single(alerts);
        Assert.Equal((app, "revoked", "revoke", Url), (alert.GetProperty("app").GetString(), alert.GetProperty("action").GetString(),
            alert.GetProperty("policy").GetString(), alert.GetProperty("url").GetString()));
        var delivery = receiver.Received.Single(d => d.Body.GetProperty("keyId").GetString() == leaked.Id);
        var t = delivery.Signature!.Split(',')[0]["t=".Length..];
        Assert.Equal(WebhookDelivery.Signature(secret, DateTimeOffset.FromUnixTimeSeconds(long.Parse(t)), delivery.Raw), delivery.Signature);
        Assert.DoesNotContain(leaked.Key[^38..], Text(delivery.Raw));
    }

    [Fact]
    public async Task a_retried_report_answers_the_same_and_changes_nothing_twice()
    {
        var app = Api.Unique("retried");
        await SetPolicy(app, LeakPolicies.Suspend);
        var leaked = await fx.IssueKey(app, "*");
        var body = JsonSerializer.SerializeToUtf8Bytes(new[] { Token(leaked.Key), Token(leaked.Key) });

        var (first, firstAnswer) = await SendAsync(fx, body, Ecdsa(fx));
        // An admin looked into it and resumed the key: the same report delivered again must not stop it again.
        await fx.Api.Post($"/api/keys/{leaked.Id}/resume", new { }, 200);
        var (second, secondAnswer) = await SendAsync(fx, body, Ecdsa(fx));

        Assert.Equal((200, 200), (first, second));
        Assert.Equal(firstAnswer.ToString(), secondAnswer.ToString());
        Assert.Equal(["true_positive", "true_positive"], Labels(secondAnswer));
        Assert.Equal("active", (await Key(leaked.Id)).GetProperty("status").GetString());
        Assert.Single(await EventsOf<KeySuspended>(leaked.Id));
        Assert.Single(await EventsOf<LeakReported>(LeakReport.StreamId(LeakReport.IdOf(SecretFingerprint.Of(leaked.Key), "governance_virtual_key", Url, "content"))));
    }

    [Fact]
    public async Task a_bad_signature_is_401_counted_per_minute_and_nothing_is_revoked_or_recorded()
    {
        // An API node of its own, so its count holds this test's refusals only.
        await using var api = await AlbaHost.For<ApiMarker>(fx.Configure);
        var counting = api.Services.GetRequiredService<RefusalCounting>();
        var leaked = await fx.IssueKey(Api.Unique("targeted"), "*");
        var body = JsonSerializer.SerializeToUtf8Bytes(new[] { Token(leaked.Key) });
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Task<int> Send(Signer? signer, byte[]? signedBody = null) => SendAsync(fx, body, signer, signedBody, api).ContinueWith(t => t.Result.Status);

        (string What, int Status)[] attempts =
        [
            ("unsigned", await Send(null)),
            ("signed by another key", await Send(Ecdsa(fx, stranger))),
            ("an unknown key id", await Send(Ecdsa(fx, keyId: "someone-else"))),
            ("signed over another body", await Send(Ecdsa(fx), JsonSerializer.SerializeToUtf8Bytes(new[] { Token("x") }))),
            ("a wrong shared secret", await Send(Hmac(fx, "not-the-secret-0123456789abcdefgh"))),
            ("a replayed shared-secret signature", await Send(Hmac(fx, age: TimeSpan.FromMinutes(10)))),
            ("garbage headers", await Send(_ => [("Github-Public-Key-Identifier", GovernanceFixture.LeakReporterKeyId), ("Github-Public-Key-Signature", "%%%")])),
        ];
        await counting.FlushAsync(all: true);

        Assert.All(attempts, a => Assert.True(a.Status == 401, $"{a.What}: {a.Status}"));
        Assert.Equal("active", (await Key(leaked.Id)).GetProperty("status").GetString());
        Assert.Equal(0, await LeakRecordsOf(leaked.Key));
        // Counted, not recorded one by one: one refusals_counted of this API node for the minute, without the token.
        await using var session = fx.Store.QuerySession();
        var events = await session.Events.QueryAllRawEvents().Where(e => e.StreamKey!.EndsWith(":" + counting.Tally.Incarnation)).ToListAsync();
        var counted = Assert.IsType<RefusalsCounted>(Assert.Single(events).Data);
        Assert.Equal([new RefusalCount(LeakReport.SignatureInvalid, null, attempts.Length)], counted.Counts);
        Assert.DoesNotContain(leaked.Key, JsonSerializer.Serialize(counted));
    }

    [Fact]
    public async Task unknown_and_forged_tokens_are_labelled_false_positive_and_touch_no_key()
    {
        var real = await fx.IssueKey(Api.Unique("real"), "*");
        // The real key's id with a secret someone made up: the checksum holds, the secret does not.
        var forged = KeyFormat.NewKey(real.Id);
        var neverIssued = KeyFormat.NewKey(KeyFormat.NewKeyId());

        var (status, answer) = await ReportAsync(fx, Ecdsa(fx), Token(forged), Token(neverIssued), Token("gk_not-even-the-shape"), Token(real.Key, url: Url + "#again"));

        Assert.Equal(200, status);
        Assert.Equal(["false_positive", "false_positive", "false_positive", "true_positive"], Labels(answer));
        Assert.Equal(SecretFingerprint.Of(forged), answer[0].GetProperty("token_hash").GetString());
        var reported = Assert.Single(await EventsOf<LeakReported>(LeakReport.StreamId(LeakReport.IdOf(SecretFingerprint.Of(forged), "governance_virtual_key", Url, "content"))));
        Assert.Equal((null, LeakActions.None), (reported.KeyId, reported.Action));
        Assert.Equal("revoked", (await Key(real.Id)).GetProperty("status").GetString());
        Assert.Single(await EventsOf<KeyRevoked>(real.Id));
    }

    [Fact]
    public async Task an_oversized_or_overlong_report_is_refused_before_anything_is_done()
    {
        var leaked = await fx.IssueKey(Api.Unique("big"), "*");
        var padded = JsonSerializer.SerializeToUtf8Bytes(new[] { new { token = leaked.Key, type = "governance_virtual_key", url = new string('x', 1 << 20) } });
        var many = Enumerable.Range(0, 1001).Select(_ => Token(KeyFormat.NewKey(KeyFormat.NewKeyId()))).Append(Token(leaked.Key)).ToArray();

        var (tooLarge, _) = await SendAsync(fx, padded, Ecdsa(fx));
        var (tooMany, problem) = await ReportAsync(fx, Ecdsa(fx), many);

        Assert.Equal((413, 400), (tooLarge, tooMany));
        Assert.Contains("1000", problem.GetProperty("errors").GetProperty("body")[0].GetString());
        Assert.Equal("active", (await Key(leaked.Id)).GetProperty("status").GetString());
    }
}
