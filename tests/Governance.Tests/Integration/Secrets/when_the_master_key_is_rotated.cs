using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Governance.Domain.Alerts;
using Governance.Domain.Catalog;
using Governance.Hosting.Secrets;
using Governance.Tests.Domain;
using Governance.Tests.Integration.Proxy;
using Marten;
using Microsoft.AspNetCore.Hosting;

namespace Governance.Tests.Integration.Secrets;

/// <summary>
/// <c>rotate-master-key</c> run as an operator runs it (the API executable, a separate process): afterwards a proxy that
/// holds only the new master key forwards with every provider key, including one written before ciphertexts carried a key
/// id. Its own deployment (schema, API, proxy), since the rotation re-encrypts every provider of the database.
/// </summary>
public sealed class when_the_master_key_is_rotated : IAsyncLifetime
{
    private const string WebhookUrl = "https://hooks.example.test/governance";
    private const string WebhookSecret = "webhook-shared-secret-0123456789";
    private readonly GovernanceFixture _fx = new();
    private readonly string _newKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public Task InitializeAsync() => _fx.InitializeAsync();

    public Task DisposeAsync() => _fx.DisposeAsync();

    private async Task<(int Code, string Output)> RotateMasterKey(string masterKey, string? previousMasterKey)
    {
        var directory = ApiOutputDirectory();
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(directory, "Governance.Api.dll"));
        start.ArgumentList.Add("rotate-master-key");
        start.Environment["ConnectionStrings__Governance"] = _fx.ConnectionString;
        start.Environment["Governance__Schema"] = _fx.Schema;
        start.Environment["Audit__SigningKey"] = _fx.AuditKey;
        start.Environment["GOVERNANCE_MASTER_KEY"] = masterKey;
        start.Environment["GOVERNANCE_PREVIOUS_MASTER_KEY"] = previousMasterKey;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await output + await error);
    }

    /// <summary>The API project's own build output (same configuration as the tests): its dependencies differ from the tests'.</summary>
    private static string ApiOutputDirectory()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var root = output;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Governance.sln")))
            root = root.Parent;
        Assert.NotNull(root);
        return Path.Combine(root.FullName, "src", "Governance.Api", "bin", output.Parent!.Name, output.Name);
    }

    private static async Task<int> Chat(Alba.IAlbaHost proxy, string key, string model)
    {
        using var client = proxy.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await client.PostAsync("/v1/chat/completions", Routing.JsonBody(Routing.ChatJson(model, "hello")));
        return (int)response.StatusCode;
    }

    [Fact]
    public async Task every_secret_moves_to_the_new_key_and_a_proxy_holding_only_the_new_key_forwards()
    {
        var current = await _fx.ProviderAndModel(upstreamModel: "rotated-current");
        // A provider from before key ids: its event holds a legacy ciphertext (bound to its name only).
        var legacy = Api.Unique("prov");
        await using (var session = _fx.Store.LightweightSession())
        {
            session.Events.StartStream<Provider>(legacy, new ProviderRegistered(legacy, ProviderKinds.OpenAi, _fx.Upstream.BaseUrl,
                LegacyCiphertext.Of(_fx.MasterKey, "sk-provider-" + legacy, legacy), "op_legacy", _fx.Clock.GetUtcNow()));
            await session.SaveChangesAsync();
        }
        var legacyModel = Api.Unique("model");
        await _fx.Api.Post("/api/models", new { name = legacyModel, provider = legacy, upstreamModel = "rotated-legacy", inputPricePer1M = 1m, outputPricePer1M = 1m }, 201);
        var key = await _fx.IssueKey(Api.Unique("app"), current, legacyModel);
        await _fx.Api.Put("/api/webhooks/global", new { url = WebhookUrl, secret = WebhookSecret }, 200);
        Assert.Equal(200, await Chat(_fx.Proxy, key.Key, legacyModel));

        var rotated = await RotateMasterKey(_newKey, _fx.MasterKey);

        Assert.True(rotated.Code == 0, rotated.Output);
        Assert.Contains("Re-encrypted 2 provider keys and 1 webhook secrets", rotated.Output);
        await using var proxy = await _fx.StartProxyAsync(Api.Unique("edge"), configure: web => web.UseSetting("GOVERNANCE_MASTER_KEY", _newKey));
        Assert.Equal(200, await Chat(proxy, key.Key, current));
        Assert.Equal(200, await Chat(proxy, key.Key, legacyModel));
        Assert.Equal("Bearer sk-provider-" + legacy, _fx.Upstream.Requests.Last(r => r.Model == "rotated-legacy").Authorization);
        // A node that still holds only the old key can no longer read what the feed now carries.
        Assert.Equal(502, await Chat(_fx.Proxy, key.Key, current));

        await using (var session = _fx.Store.QuerySession())
        {
            var webhook = (await session.LoadAsync<Webhook>(Webhook.StreamId(Webhook.Global)))!;
            Assert.Equal(WebhookSecret, new SecretProtector(_newKey).Unprotect(webhook.EncryptedSecret, SecretBinding.Webhook(Webhook.Global, WebhookUrl)));
            var reencrypted = (await session.Events.FetchStreamAsync(legacy)).Last();
            Assert.Equal("provider_key_reencrypted", reencrypted.EventTypeName);
            Assert.Equal("system:master-key-rotation", ((ProviderKeyReencrypted)reencrypted.Data).ReencryptedBy);
        }
        var again = await RotateMasterKey(_newKey, _fx.MasterKey);
        Assert.True(again.Code == 0, again.Output);
        Assert.Contains("Re-encrypted 0 provider keys and 0 webhook secrets", again.Output);
    }

    [Fact]
    public async Task without_the_previous_key_the_command_refuses_and_nothing_changes()
    {
        var model = await _fx.ProviderAndModel(upstreamModel: "not-rotated");
        var key = await _fx.IssueKey(Api.Unique("app"), model);

        var refused = await RotateMasterKey(_newKey, null);

        Assert.NotEqual(0, refused.Code);
        Assert.Contains("GOVERNANCE_PREVIOUS_MASTER_KEY", refused.Output);
        Assert.Equal(200, await Chat(_fx.Proxy, key.Key, model));
    }
}
