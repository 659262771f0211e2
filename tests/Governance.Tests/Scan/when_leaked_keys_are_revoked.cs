using System.Net;
using System.Text.Json;
using Governance.Domain.Operators;
using Governance.Scan.Cli;
using Governance.Scan.Response;
using Governance.Tests.Integration;
using Governance.Tests.Integration.Roles;
using TestApi = Governance.Tests.Integration.Api;

namespace Governance.Tests.Scan;

/// <summary>
/// The scanner against the real API and proxy of the integration fixture (in memory, real PostgreSQL): found virtual
/// keys are looked up and revoked through the API's own endpoints with the operator token from the environment.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_leaked_keys_are_revoked(GovernanceFixture fx) : IDisposable
{
    private readonly GitRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    private Task<ScanRun> Scan(string? token, params string[] arguments) =>
        Scanner.RunAsync([_repo.Path, "--git", "--api", "http://localhost/", "--format", "json", .. arguments],
            token is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [ScanOptions.DefaultTokenVariable] = token },
            _ => fx.Api.Server.CreateClient());

    private async Task<HttpResponseMessage> Call(string model, string key)
    {
        var client = fx.ProxyClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return await client.PostAsJsonAsync("/v1/chat/completions", new { model, messages = new[] { new { role = "user", content = "hi" } } });
    }

    /// <summary>A live key of a new app, committed into the repository.</summary>
    private async Task<TestApi.Issued> CommitLeakedKeyAsync()
    {
        var leaked = await fx.IssueKey(TestApi.Unique("app"), "*");
        _repo.Write("a.txt", leaked.Key).Commit("leak");
        return leaked;
    }

    private static JsonElement Finding(ScanRun run, string rule) => run.Findings().Single(f => f.GetProperty("rule").GetString() == rule);

    /// <summary>
    /// The issue's "done when": a live virtual key in a deleted file of the history and an OpenAI key in a <c>.env</c>. A
    /// responder token revokes the virtual key and the proxy refuses it; the provider key stays unverified until an admin
    /// token matches it, by fingerprint, to the provider it is registered as.
    /// </summary>
    [Fact]
    public async Task a_live_key_in_a_deleted_file_of_the_history_is_revoked_and_the_proxy_refuses_it()
    {
        var model = await fx.ProviderAndModel();
        var app = TestApi.Unique("leaky");
        var leaked = await fx.IssueKey(app, model);
        var bystander = await fx.IssueKey(app, model);
        var providerKey = Secrets.OpenAi();
        var provider = TestApi.Unique("prov");
        await fx.Api.Post("/api/providers", new { name = provider, kind = "openai", baseUrl = fx.Upstream.BaseUrl, apiKey = providerKey }, 201);
        // The narrowest role that may revoke keys: it revokes and suspends, and reads a key by id.
        var responder = await fx.IssueOperator(OperatorRoles.Responder);
        var introducing = _repo.Write("deploy/old-config.yaml", $"gateway:\n  key: {leaked.Key}\n").Commit("config");
        _repo.Git("rm", "-q", "deploy/old-config.yaml");
        _repo.Commit("move the key to the vault");
        _repo.Write(".env", $"OPENAI_API_KEY={providerKey}\n").Commit("local settings");
        Assert.Equal(HttpStatusCode.OK, (await Call(model, leaked.Key)).StatusCode);

        var run = await Scan(responder.Token, "--revoke");

        Assert.Equal(1, run.ExitCode);
        var key = Finding(run, "governance-virtual-key");
        Assert.Equal((leaked.Id, "revoked", introducing), (key.GetProperty("keyId").GetString(), key.GetProperty("status").GetString(), key.GetProperty("commit").GetString()));
        var unmatched = Finding(run, "openai-api-key");
        Assert.Equal(("unverified", LeakResponder.NotAdmin), (unmatched.GetProperty("status").GetString(), unmatched.GetProperty("detail").GetString()));
        var refused = await Call(model, leaked.Key);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("revoked", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());
        var view = await fx.Api.Get($"/api/keys/{leaked.Id}").Json();
        Assert.Equal($"leaked: {introducing}:deploy/old-config.yaml:2", view.GetProperty("statusReason").GetString());
        Assert.Equal(HttpStatusCode.OK, (await Call(model, bystander.Key)).StatusCode);

        var byAdmin = await Scan(GovernanceFixture.AdminToken);

        var matched = Finding(byAdmin, "openai-api-key");
        Assert.Equal(("live", $"provider '{provider}': rotate its key"), (matched.GetProperty("status").GetString(), matched.GetProperty("detail").GetString()));
        Assert.Equal("already_revoked", Finding(byAdmin, "governance-virtual-key").GetProperty("status").GetString());
        Assert.Equal(1, byAdmin.ExitCode);
        Assert.DoesNotContain(leaked.Key, run.Output + run.Errors + byAdmin.Output + byAdmin.Errors);
        Assert.DoesNotContain(Secrets.Tail(providerKey), run.Output + run.Errors + byAdmin.Output + byAdmin.Errors);
    }

    [Fact]
    public async Task an_app_owner_token_revokes_its_own_apps_keys_and_sees_another_apps_key_as_unknown()
    {
        var app = TestApi.Unique("own");
        var own = await fx.IssueKey(app, "*");
        var other = await fx.IssueKey(TestApi.Unique("other"), "*");
        var owner = await fx.IssueAppOwner(app);
        _repo.Write("own.txt", own.Key).Write("other.txt", other.Key).Commit("two leaks");

        var run = await Scan(owner.Token, "--revoke");

        Assert.Equal(1, run.ExitCode);
        var statuses = run.Findings().ToDictionary(f => f.GetProperty("keyId").GetString()!, f => f.GetProperty("status").GetString());
        Assert.Equal(("revoked", "unknown"), (statuses[own.Id], statuses[other.Id]));
        Assert.Equal("active", (await fx.Api.Get($"/api/keys/{other.Id}").Json()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task a_second_run_reports_the_key_as_already_revoked_and_passes()
    {
        var leaked = await CommitLeakedKeyAsync();
        var first = await Scan(GovernanceFixture.AdminToken, "--revoke");

        var second = await Scan(GovernanceFixture.AdminToken, "--revoke");

        Assert.Equal(1, first.ExitCode);
        Assert.Equal(0, second.ExitCode);
        Assert.Equal("already_revoked", Finding(second, "governance-virtual-key").GetProperty("status").GetString());
        var events = await (await fx.Api.Get($"/api/audit/streams/{leaked.Id}")).ReadAsTextAsync();
        Assert.Single(events.Split('\n'), line => line.Contains("key_revoked"));
    }

    [Fact]
    public async Task a_checksum_valid_key_the_gateway_does_not_know_is_reported_as_unknown_and_fails()
    {
        var foreign = Secrets.VirtualKey();
        _repo.Write("a.txt", foreign).Commit("foreign");

        var run = await Scan(GovernanceFixture.AdminToken, "--revoke");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("unknown", Finding(run, "governance-virtual-key").GetProperty("status").GetString());
    }

    [Fact]
    public async Task without_revoke_the_api_is_only_asked_and_the_key_stays_live()
    {
        var leaked = await CommitLeakedKeyAsync();
        var auditor = await fx.IssueOperator(OperatorRoles.Auditor);

        var run = await Scan(auditor.Token);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("live", Finding(run, "governance-virtual-key").GetProperty("status").GetString());
        Assert.Equal("active", (await fx.Api.Get($"/api/keys/{leaked.Id}").Json()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task a_token_whose_roles_may_not_revoke_stops_the_run_with_exit_code_2_and_revokes_nothing()
    {
        var leaked = await CommitLeakedKeyAsync();
        var auditor = await fx.IssueOperator(OperatorRoles.Auditor);

        var run = await Scan(auditor.Token, "--revoke");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("may not revoke keys (403)", run.Errors);
        Assert.Equal("not_checked", Finding(run, "governance-virtual-key").GetProperty("status").GetString());
        Assert.Equal("active", (await fx.Api.Get($"/api/keys/{leaked.Id}").Json()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task the_token_comes_from_the_environment_only_and_a_missing_or_wrong_one_is_exit_code_2()
    {
        var leaked = await CommitLeakedKeyAsync();

        var missing = await Scan(null, "--revoke");
        var wrong = await Scan("gop_not-a-token", "--revoke");
        var onCommandLine = await Scan(null, "--revoke", "--token", GovernanceFixture.AdminToken);

        Assert.Equal((2, 2, 2), (missing.ExitCode, wrong.ExitCode, onCommandLine.ExitCode));
        Assert.Contains($"environment variable {ScanOptions.DefaultTokenVariable}", missing.Errors);
        Assert.Contains("did not accept the token (401)", wrong.Errors);
        Assert.Contains("never from the command line", onCommandLine.Errors);
        Assert.DoesNotContain(GovernanceFixture.AdminToken, onCommandLine.Errors);
        Assert.Equal("active", (await fx.Api.Get($"/api/keys/{leaked.Id}").Json()).GetProperty("status").GetString());
    }
}
