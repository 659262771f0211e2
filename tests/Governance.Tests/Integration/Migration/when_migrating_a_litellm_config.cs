using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Governance.Tests.Migration;

namespace Governance.Tests.Integration.Migration;

[Collection(GovernanceCollection.Name)]
public sealed class when_migrating_a_litellm_config(GovernanceFixture fx)
{
    private static readonly string[] Secrets = ["sk-openai-main-7f3a", "sk-openai-backup-91c2", "sk-ant-api03-5d1e", "vllm-token-2b8f", "azure-key-44a0"];

    private void SetEnvironment()
    {
        Environment.SetEnvironmentVariable("OPENAI_API_KEY", Secrets[0]);
        Environment.SetEnvironmentVariable("OPENAI_API_KEY_BACKUP", Secrets[1]);
        Environment.SetEnvironmentVariable("ANTHROPIC_API_KEY", Secrets[2]);
        Environment.SetEnvironmentVariable("VLLM_API_KEY", Secrets[3]);
        Environment.SetEnvironmentVariable("AZURE_API_KEY", Secrets[4]);
        Environment.SetEnvironmentVariable("VLLM_API_BASE", fx.Upstream.BaseUrl);
    }

    /// <summary>The fixture with this test's own model names, so runs sharing a schema do not meet.</summary>
    private static string Config(string suffix) =>
        Regex.Replace(LiteLlmConfigTests.Fixture(), "model_name: ([a-z][a-z0-9.-]*)", $"model_name: $1-{suffix}");

    private async Task<(HttpStatusCode Status, JsonElement Body, string Text)> Import(string yaml, bool apply = false)
    {
        using var client = fx.Api.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", GovernanceFixture.AdminToken);
        using var response = await client.PostAsync("/api/migrations/litellm" + (apply ? "?apply=true" : ""), new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement, text);
    }

    private static JsonElement Model(JsonElement plan, string name) =>
        plan.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == name);

    private async Task<long> EventCount()
    {
        await using var connection = fx.Store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"select count(*) from {fx.Schema}.mt_events";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task the_dry_run_lists_what_apply_creates_and_a_second_apply_changes_nothing()
    {
        SetEnvironment();
        var suffix = Api.Unique("m");
        var yaml = Config(suffix);
        var before = await EventCount();

        var (status, dry, dryText) = await Import(yaml);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(dry.GetProperty("applied").GetBoolean());
        Assert.Equal(before, await EventCount());
        await fx.Api.Get($"/api/models/gpt-4o-{suffix}/routing", 404);

        // One model name with two entries: one model, two weighted deployments on two providers.
        var gpt = Model(dry, $"gpt-4o-{suffix}");
        Assert.Equal("create", gpt.GetProperty("action").GetString());
        Assert.Equal([("openai", 3), ("openai-openai_api_key_backup", 1)],
            gpt.GetProperty("deployments").EnumerateArray().Select(d => (d.GetProperty("provider").GetString(), d.GetProperty("weight").GetInt32())));
        Assert.Equal(2.5m, gpt.GetProperty("inputPer1M").GetDecimal());
        var providers = dry.GetProperty("providers").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);
        Assert.Equal("anthropic", providers["anthropic"].GetProperty("kind").GetString());
        Assert.Equal("https://api.anthropic.com/v1", providers["anthropic"].GetProperty("baseUrl").GetString());
        Assert.Equal("env:ANTHROPIC_API_KEY", providers["anthropic"].GetProperty("apiKeyFrom").GetString());
        var vllm = providers.Values.Single(p => p.GetProperty("kind").GetString() == "openai-compatible");
        Assert.Equal(fx.Upstream.BaseUrl, vllm.GetProperty("baseUrl").GetString());
        // The Azure deployment becomes an azure-openai provider with its api-version; the wildcard is not migrated, and the answer says why.
        var azure = providers.Values.Single(p => p.GetProperty("kind").GetString() == "azure-openai");
        Assert.Equal("https://example-eu.openai.azure.com", azure.GetProperty("baseUrl").GetString());
        Assert.Equal("2024-06-01", azure.GetProperty("settings").GetProperty("apiVersion").GetString());
        var skipped = dry.GetProperty("skipped").EnumerateArray().ToList();
        Assert.Equal(["model_list[5]"], skipped.Select(s => s.GetProperty("field").GetString()));
        Assert.Contains("wildcard", skipped[0].GetProperty("reason").GetString());
        foreach (var secret in Secrets)
            Assert.DoesNotContain(secret, dryText);

        var (_, applied, appliedText) = await Import(yaml, apply: true);
        Assert.True(applied.GetProperty("applied").GetBoolean());
        var routing = await fx.Api.Get($"/api/models/gpt-4o-{suffix}/routing").Json();
        Assert.Equal(2, routing.GetProperty("deployments").GetArrayLength());
        var claude = await fx.Api.Get($"/api/models/claude-sonnet-{suffix}").Json();
        Assert.Contains("anthropic", claude.ToString());
        Assert.Contains("15", claude.ToString());
        foreach (var secret in Secrets)
            Assert.DoesNotContain(secret, appliedText);

        var afterApply = await EventCount();
        var (_, again, _) = await Import(yaml, apply: true);
        Assert.All(again.GetProperty("models").EnumerateArray(), m => Assert.Equal("unchanged", m.GetProperty("action").GetString()));
        Assert.All(again.GetProperty("providers").EnumerateArray(), p => Assert.Equal("unchanged", p.GetProperty("action").GetString()));
        Assert.Equal(afterApply, await EventCount());
    }

    [Fact]
    public async Task an_unset_environment_variable_is_a_400_naming_it_and_nothing_is_created()
    {
        var suffix = Api.Unique("m");
        var yaml = $"model_list:\n  - model_name: ok-{suffix}\n    litellm_params:\n      model: openai/gpt-4o\n      api_key: sk-literal\n" +
                   $"  - model_name: lost-{suffix}\n    litellm_params:\n      model: openai/gpt-4o\n      api_key: os.environ/NOT_SET_{suffix.Replace('-', '_').ToUpperInvariant()}\n";

        var (status, problem, _) = await Import(yaml, apply: true);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var message = problem.GetProperty("errors").GetProperty("model_list[1].litellm_params.api_key")[0].GetString();
        Assert.Contains("NOT_SET_", message);
        Assert.StartsWith("line 9: ", message);
        await fx.Api.Get($"/api/models/ok-{suffix}/routing", 404);
    }

    [Fact]
    public async Task a_config_that_is_not_yaml_is_a_400_with_its_line()
    {
        var (status, problem, _) = await Import("model_list:\n  - model_name: a\n    litellm_params: {model: openai/a\n");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("line ", problem.GetProperty("errors").GetProperty("config")[0].GetString());
    }
}
