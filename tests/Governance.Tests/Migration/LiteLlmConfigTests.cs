using System.Globalization;
using Governance.Api.Migration;
using Governance.Domain.Budgets;

namespace Governance.Tests.Migration;

public sealed class LiteLlmConfigTests
{
    public static string Fixture() => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Integration", "Migration", "litellm-config.yaml"));

    private static readonly Dictionary<string, string> Env = new()
    {
        ["OPENAI_API_KEY"] = "sk-openai-main", ["OPENAI_API_KEY_BACKUP"] = "sk-openai-backup", ["ANTHROPIC_API_KEY"] = "sk-ant",
        ["VLLM_API_BASE"] = "http://vllm.internal:8000/v1", ["VLLM_API_KEY"] = "vllm-token", ["AZURE_API_KEY"] = "azure-key",
    };

    /// <summary>Parses with <paramref name="env"/> as the process environment, every name in it allowed by name.</summary>
    private static IReadOnlyList<LiteLlmEntry> Parse(string yaml, IDictionary<string, string>? env = null) =>
        LiteLlmConfig.Parse(yaml, new ImportEnvironment((env ?? Env).Keys, [], name => (env ?? Env).TryGetValue(name, out var v) ? v : null));

    private static string KeyFrom(string variable) =>
        $"model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/a\n      api_key: os.environ/{variable}\n";

    [Fact]
    public void every_entry_of_the_model_list_is_read_with_its_key_resolved_from_the_environment()
    {
        var entries = Parse(Fixture());

        Assert.Equal(["gpt-4o", "gpt-4o", "claude-sonnet", "llama-local", "azure-gpt-4o", "*"], entries.Select(e => e.ModelName));
        var main = entries[0];
        Assert.Equal(("openai", "gpt-4o", "sk-openai-main", "env:OPENAI_API_KEY", 3), (main.Prefix, main.UpstreamModel, main.ApiKey, main.ApiKeySource, main.Weight));
        Assert.Equal((2.5m, 10m, 1.25m), (main.InputPer1M, main.OutputPer1M, main.CachedInputPer1M));
        Assert.Equal(5, main.Line);
        var claude = entries[2];
        Assert.Equal(("anthropic", "claude-3-5-sonnet-20241022", "sk-ant"), (claude.Prefix, claude.UpstreamModel, claude.ApiKey));
        Assert.Equal((3m, 15m), (claude.InputPer1M, claude.OutputPer1M));
        var llama = entries[3];
        Assert.Equal(("hosted_vllm", "meta-llama/Llama-3.1-8B-Instruct", "http://vllm.internal:8000/v1"), (llama.Prefix, llama.UpstreamModel, llama.ApiBase));
        Assert.Null(entries[1].InputPer1M);
    }

    [Fact]
    public void an_unset_environment_variable_is_an_error_naming_it_the_field_and_the_line()
    {
        var env = new Dictionary<string, string>(Env);
        env.Remove("ANTHROPIC_API_KEY");

        var error = Assert.Throws<LiteLlmConfigException>(() => Parse(Fixture(), env));

        Assert.Equal("model_list[2].litellm_params.api_key", error.Field);
        Assert.Contains("ANTHROPIC_API_KEY", error.Message);
        Assert.Equal(23, error.Line);
    }

    [Theory]
    [InlineData("model_list:\n  - model_name: a\n    litellm_params: [x\n", "config", 4)]
    [InlineData("general_settings:\n  master_key: x\n", "model_list", 1)]
    [InlineData("model_list:\n  - model_name: a\n    litellm_params:\n      api_key: k\n", "model_list[0].litellm_params.model", 4)]
    [InlineData("model_list:\n  - litellm_params:\n      model: openai/x\n", "model_list[0].model_name", 2)]
    [InlineData("model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/a\n      input_cost_per_token: cheap\n", "model_list[0].litellm_params.input_cost_per_token", 5)]
    [InlineData("model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/a\n      api_base: not a url\n", "model_list[0].litellm_params.api_base", 5)]
    public void a_config_that_cannot_be_read_names_the_field_and_line(string yaml, string field, int line)
    {
        var error = Assert.Throws<LiteLlmConfigException>(() => Parse(yaml));

        Assert.Equal(field, error.Field);
        Assert.Equal(line, error.Line);
        Assert.StartsWith($"line {line}: ", error.Message);
    }

    [Theory]
    [InlineData("GOVERNANCE_MASTER_KEY")]
    [InlineData("GOVERNANCE_ADMIN_TOKEN")]
    [InlineData("Audit__SigningKey")]
    [InlineData("audit__signingkey")]
    [InlineData("ConnectionStrings__Governance")]
    [InlineData("Proxy__AdapterToken")]
    [InlineData("PGPASSWORD")]
    [InlineData("ASPNETCORE_Kestrel__Certificates__Default__Password")]
    public void the_gateways_own_settings_are_never_read_even_when_listed(string variable)
    {
        var env = new Dictionary<string, string> { [variable] = "the-gateways-secret" };

        var error = Assert.Throws<LiteLlmConfigException>(() => Parse(KeyFrom(variable), env));

        Assert.Equal("model_list[0].litellm_params.api_key", error.Field);
        Assert.Contains(variable, error.Message);
        Assert.Contains("gateway's own settings", error.Message);
        Assert.DoesNotContain("the-gateways-secret", error.Message);
    }

    [Fact]
    public void only_names_on_the_allow_list_or_with_an_allowed_prefix_are_read()
    {
        var values = new Dictionary<string, string> { ["LITELLM_IMPORT_OPENAI"] = "sk-by-prefix", ["OPENAI_API_KEY"] = "sk-by-name", ["HOME"] = "/root" };
        var defaults = ImportEnvironment.From(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build(), n => values.GetValueOrDefault(n));
        var listed = new ImportEnvironment(["OPENAI_API_KEY"], [], n => values.GetValueOrDefault(n));

        Assert.Equal("sk-by-prefix", LiteLlmConfig.Parse(KeyFrom("LITELLM_IMPORT_OPENAI"), defaults)[0].ApiKey);
        Assert.Equal("sk-by-name", LiteLlmConfig.Parse(KeyFrom("OPENAI_API_KEY"), listed)[0].ApiKey);
        var unlisted = Assert.Throws<LiteLlmConfigException>(() => LiteLlmConfig.Parse(KeyFrom("OPENAI_API_KEY"), defaults));
        Assert.Contains("Migration__AllowedEnvNames", unlisted.Message);
        Assert.Throws<LiteLlmConfigException>(() => LiteLlmConfig.Parse(KeyFrom("HOME"), listed));
        // An api_base read from the environment follows the same rule.
        var baseFrom = "model_list:\n  - model_name: a\n    litellm_params:\n      model: hosted_vllm/a\n      api_base: os.environ/HOME\n";
        Assert.Equal("model_list[0].litellm_params.api_base", Assert.Throws<LiteLlmConfigException>(() => LiteLlmConfig.Parse(baseFrom, listed)).Field);
    }

    [Theory]
    [InlineData("model_list: {0}")]
    [InlineData("model_list:\n  - model_name: a\n    litellm_params: {0}\n")]
    public void a_config_nested_ten_thousand_levels_deep_is_refused_without_overflowing_the_stack(string template)
    {
        // Before the depth check, YamlDotNet's document model recursed once per level and the stack overflow ended the API.
        var yaml = string.Format(CultureInfo.InvariantCulture, template, new string('[', 10_000) + new string(']', 10_000));

        var error = Assert.Throws<LiteLlmConfigException>(() => Parse(yaml));

        Assert.Equal("config", error.Field);
        Assert.Contains($"nested deeper than {LiteLlmConfig.MaxDepth} levels", error.Message);
    }

    [Fact]
    public void a_model_without_a_provider_prefix_is_openai_as_litellm_assumes()
    {
        var entry = Assert.Single(Parse("model_list:\n  - model_name: fast\n    litellm_params:\n      model: gpt-4o-mini\n      api_key: sk-literal\n"));

        Assert.Equal(("openai", "gpt-4o-mini", "config file"), (entry.Prefix, entry.UpstreamModel, entry.ApiKeySource));
    }

    [Theory]
    [InlineData("30s", BudgetPeriod.Daily)]
    [InlineData("12h", BudgetPeriod.Daily)]
    [InlineData("24h", BudgetPeriod.Daily)]
    [InlineData("1d", BudgetPeriod.Daily)]
    [InlineData("2d", BudgetPeriod.Weekly)]
    [InlineData("7d", BudgetPeriod.Weekly)]
    [InlineData("30d", BudgetPeriod.Monthly)]
    [InlineData("1mo", BudgetPeriod.Monthly)]
    [InlineData("90d", BudgetPeriod.Lifetime)]
    [InlineData("1y", BudgetPeriod.Lifetime)]
    public void a_budget_duration_becomes_the_shortest_of_our_periods_that_is_at_least_as_long(string duration, BudgetPeriod period) =>
        Assert.Equal(period, LiteLlmDurations.BudgetPeriod(duration));

    [Theory]
    [InlineData("")]
    [InlineData("30")]
    [InlineData("0d")]
    [InlineData("-1d")]
    [InlineData("1 month")]
    public void an_unreadable_duration_is_refused(string duration)
    {
        Assert.Null(LiteLlmDurations.BudgetPeriod(duration));
        Assert.Null(LiteLlmDurations.After(duration, DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public void a_key_duration_counts_months_by_the_calendar()
    {
        var now = new DateTimeOffset(2026, 1, 31, 10, 0, 0, TimeSpan.Zero);

        Assert.Equal(new DateTimeOffset(2026, 2, 28, 10, 0, 0, TimeSpan.Zero), LiteLlmDurations.After("1mo", now));
        Assert.Equal(now.AddHours(24), LiteLlmDurations.After("24h", now));
    }
}
