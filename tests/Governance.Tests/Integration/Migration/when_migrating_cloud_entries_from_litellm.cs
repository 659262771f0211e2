using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Governance.Domain.Catalog;
using Governance.Domain.Secrets;
using Marten;

namespace Governance.Tests.Integration.Migration;

/// <summary>
/// A LiteLLM config's <c>azure/</c>, <c>gemini/</c> and <c>bedrock/</c> entries become providers of the matching kinds
/// (settings and keys from the same <c>os.environ/</c> allow-list); <c>vertex_ai/</c> entries are reported as not yet supported.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_migrating_cloud_entries_from_litellm(GovernanceFixture fx)
{
    private const string AccessKeyId = "AKIAIOSFODNN7EXAMPLE", Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", GeminiKey = "AIza-import-gemini-key";

    private static string Config(string suffix) => $$"""
        model_list:
          - model_name: azure-gpt-{{suffix}}
            litellm_params:
              model: azure/prod-gpt-4o
              api_base: https://contoso-{{suffix}}.openai.azure.com/openai
              api_key: os.environ/AZURE_API_KEY
              api_version: "2024-10-21"
          - model_name: gemini-flash-{{suffix}}
            litellm_params:
              model: gemini/gemini-2.5-flash
              api_key: os.environ/LITELLM_IMPORT_GEMINI_KEY
          - model_name: nova-{{suffix}}
            litellm_params:
              model: bedrock/converse/amazon.nova-pro-v1:0
              aws_region_name: os.environ/LITELLM_IMPORT_AWS_REGION
              aws_access_key_id: os.environ/LITELLM_IMPORT_AWS_ACCESS_KEY_ID
              aws_secret_access_key: os.environ/LITELLM_IMPORT_AWS_SECRET_ACCESS_KEY
          - model_name: claude-bedrock-{{suffix}}
            litellm_params:
              model: bedrock/anthropic.claude-sonnet-4-20250514-v1:0
              aws_region_name: us-east-1
          - model_name: gemini-vertex-{{suffix}}
            litellm_params:
              model: vertex_ai/gemini-2.5-pro
              vertex_project: my-project
              vertex_location: us-central1
        """;

    private async Task<(HttpStatusCode Status, JsonElement Body, string Text)> Import(string yaml, bool apply = false)
    {
        using var client = fx.Api.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", GovernanceFixture.AdminToken);
        using var response = await client.PostAsync("/api/migrations/litellm" + (apply ? "?apply=true" : ""), new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement, text);
    }

    [Fact]
    public async Task azure_gemini_and_bedrock_entries_become_providers_of_their_kinds_and_vertex_is_not_yet()
    {
        Environment.SetEnvironmentVariable("AZURE_API_KEY", "azure-key-44a0");
        Environment.SetEnvironmentVariable("LITELLM_IMPORT_GEMINI_KEY", GeminiKey);
        Environment.SetEnvironmentVariable("LITELLM_IMPORT_AWS_REGION", "eu-central-1");
        Environment.SetEnvironmentVariable("LITELLM_IMPORT_AWS_ACCESS_KEY_ID", AccessKeyId);
        Environment.SetEnvironmentVariable("LITELLM_IMPORT_AWS_SECRET_ACCESS_KEY", Secret);
        var suffix = Api.Unique("c");

        var (status, plan, text) = await Import(Config(suffix), apply: true);

        Assert.Equal(HttpStatusCode.OK, status);
        var providers = plan.GetProperty("providers").EnumerateArray().ToDictionary(p => p.GetProperty("kind").GetString()!);
        Assert.Equal($"https://contoso-{suffix}.openai.azure.com", providers["azure-openai"].GetProperty("baseUrl").GetString());
        Assert.Equal("2024-10-21", providers["azure-openai"].GetProperty("settings").GetProperty("apiVersion").GetString());
        Assert.Equal("https://generativelanguage.googleapis.com/v1beta", providers["gemini"].GetProperty("baseUrl").GetString());
        Assert.Equal("https://bedrock-runtime.eu-central-1.amazonaws.com", providers["bedrock"].GetProperty("baseUrl").GetString());
        Assert.Equal("eu-central-1", providers["bedrock"].GetProperty("settings").GetProperty("region").GetString());
        Assert.Equal("env:LITELLM_IMPORT_AWS_SECRET_ACCESS_KEY", providers["bedrock"].GetProperty("apiKeyFrom").GetString());
        foreach (var secret in new[] { Secret, GeminiKey, "azure-key-44a0" })
            Assert.DoesNotContain(secret, text);

        var skipped = plan.GetProperty("skipped").EnumerateArray().ToDictionary(s => s.GetProperty("field").GetString()!, s => s.GetProperty("reason").GetString()!);
        Assert.Equal(["model_list[3]", "model_list[4]"], skipped.Keys.Order());
        Assert.Contains("aws_access_key_id", skipped["model_list[3]"]);
        Assert.StartsWith("not yet supported: Vertex AI", skipped["model_list[4]"]);

        // What was written: the Bedrock pair as one secret fingerprinted by its halves, the converse/ prefix dropped from the model id.
        await using var session = fx.Store.QuerySession();
        var bedrock = await session.LoadAsync<Provider>(providers["bedrock"].GetProperty("name").GetString()!);
        Assert.NotNull(bedrock);
        Assert.Equal(SecretFingerprint.Of(Secret), bedrock.KeyFingerprint);
        Assert.Equal(SecretFingerprint.Of(AccessKeyId), bedrock.KeyIdFingerprint);
        Assert.Equal("eu-central-1", bedrock.Settings.Region);
        var nova = await session.LoadAsync<ModelDefinition>($"nova-{suffix}");
        Assert.Equal("amazon.nova-pro-v1:0", nova!.UpstreamModel);
    }

    [Fact]
    public async Task a_bedrock_entry_with_a_malformed_region_is_skipped_naming_litellms_field()
    {
        Environment.SetEnvironmentVariable("LITELLM_IMPORT_AWS_ACCESS_KEY_ID", AccessKeyId);
        Environment.SetEnvironmentVariable("LITELLM_IMPORT_AWS_SECRET_ACCESS_KEY", Secret);
        var yaml = """
            model_list:
              - model_name: nova-bad-region
                litellm_params:
                  model: bedrock/amazon.nova-pro-v1:0
                  aws_region_name: Frankfurt
                  aws_access_key_id: os.environ/LITELLM_IMPORT_AWS_ACCESS_KEY_ID
                  aws_secret_access_key: os.environ/LITELLM_IMPORT_AWS_SECRET_ACCESS_KEY
            """;

        var (status, plan, _) = await Import(yaml);

        Assert.Equal(HttpStatusCode.OK, status);
        var skipped = Assert.Single(plan.GetProperty("skipped").EnumerateArray());
        Assert.StartsWith("aws_region_name:", skipped.GetProperty("reason").GetString());
        Assert.Empty(plan.GetProperty("providers").EnumerateArray());
    }
}
