using System.Text.Json;
using Governance.Domain.Catalog;
using Governance.Domain.Secrets;
using Governance.Hosting.Secrets;
using Governance.Tests.Integration.Proxy;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Governance.Tests.Integration.Providers;

/// <summary>
/// Registering the cloud provider kinds: each kind's fields are checked and a wrong one is named; Bedrock's access key
/// pair is stored as one encrypted secret, never shown, and matched by its fingerprints when a scanner finds it.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_cloud_providers_are_registered(GovernanceFixture fx)
{
    private const string AccessKeyId = "AKIAIOSFODNN7EXAMPLE";
    private const string Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    private async Task<JsonElement> Refused(object provider) =>
        (await fx.Api.Post("/api/providers", provider, 400).Json()).GetProperty("errors");

    private static object BedrockProvider(string name, object? aws = null, string? region = "us-east-1", string? apiKey = null) => new
    {
        name, kind = "bedrock", baseUrl = "https://bedrock-runtime.us-east-1.amazonaws.com", region, apiKey,
        aws = aws ?? new { accessKeyId = AccessKeyId, secretAccessKey = Secret },
    };

    [Fact]
    public async Task each_kind_refuses_the_fields_it_does_not_take_naming_them()
    {
        var noRegion = await Refused(BedrockProvider(Api.Unique("b"), region: null));
        var withKey = await Refused(BedrockProvider(Api.Unique("b"), apiKey: "sk-not-for-bedrock"));
        var badPair = await Refused(BedrockProvider(Api.Unique("b"), aws: new { accessKeyId = "not an id", secretAccessKey = "" }));
        var noAws = await Refused(new { name = Api.Unique("b"), kind = "bedrock", baseUrl = "https://bedrock-runtime.us-east-1.amazonaws.com", region = "us-east-1" });
        var badVersion = await Refused(new { name = Api.Unique("a"), kind = "azure-openai", baseUrl = "https://contoso.openai.azure.com", apiKey = "k", apiVersion = "latest" });
        var azurePath = await Refused(new { name = Api.Unique("a"), kind = "azure-openai", baseUrl = "https://contoso.openai.azure.com/openai/v1", apiKey = "k" });
        var geminiRegion = await Refused(new { name = Api.Unique("g"), kind = "gemini", baseUrl = "https://generativelanguage.googleapis.com/v1beta", apiKey = "k", region = "us-east-1" });
        var geminiNoKey = await Refused(new { name = Api.Unique("g"), kind = "gemini", baseUrl = "https://generativelanguage.googleapis.com/v1beta" });

        Assert.True(noRegion.TryGetProperty("region", out _), noRegion.ToString());
        Assert.True(withKey.TryGetProperty("apiKey", out _), withKey.ToString());
        Assert.True(badPair.TryGetProperty("aws.accessKeyId", out _), badPair.ToString());
        Assert.True(badPair.TryGetProperty("aws.secretAccessKey", out _), badPair.ToString());
        Assert.True(noAws.TryGetProperty("aws", out _), noAws.ToString());
        Assert.True(badVersion.TryGetProperty("apiVersion", out _), badVersion.ToString());
        Assert.True(azurePath.TryGetProperty("baseUrl", out _), azurePath.ToString());
        Assert.True(geminiRegion.TryGetProperty("region", out _), geminiRegion.ToString());
        Assert.True(geminiNoKey.TryGetProperty("apiKey", out _), geminiNoKey.ToString());
    }

    [Fact]
    public async Task a_bedrock_key_pair_is_one_encrypted_secret_never_shown_and_matched_by_either_half()
    {
        var name = Api.Unique("bedrock");

        var view = await fx.Api.Post("/api/providers", BedrockProvider(name, new { accessKeyId = AccessKeyId, secretAccessKey = Secret, sessionToken = "token-1" }), 201).Json();

        Assert.Equal("us-east-1", view.GetProperty("region").GetString());
        var listed = (await fx.Api.Get("/api/providers").Json()).ToString();
        Assert.DoesNotContain(Secret, listed + view.ToString());
        Assert.DoesNotContain("token-1", listed + view.ToString());
        await using var session = fx.Store.QuerySession();
        var registered = (ProviderRegistered)(await session.Events.FetchStreamAsync(name)).Single().Data;
        Assert.DoesNotContain(Secret, JsonSerializer.Serialize(registered));
        Assert.DoesNotContain(AccessKeyId, JsonSerializer.Serialize(registered));
        Assert.StartsWith("v2:", registered.EncryptedApiKey);
        // One ciphertext holds the pair and the token, bound to this provider's name and base URL.
        var decrypted = fx.Api.Services.GetRequiredService<SecretProtector>().Unprotect(registered.EncryptedApiKey, SecretBinding.Provider(name, registered.BaseUrl));
        Assert.Equal(new AwsKeys(AccessKeyId, Secret, "token-1"), ProviderSecret.Aws(decrypted));

        foreach (var found in new[] { Secret, AccessKeyId })
        {
            var answer = await fx.Api.Post("/api/providers/match", new { fingerprints = new[] { SecretFingerprint.Of(found) } }, 200).Json();
            Assert.Contains(name, answer.GetProperty("matches")[0].GetProperty("providers").EnumerateArray().Select(p => p.GetString()));
        }
    }

    [Fact]
    public async Task a_bedrock_key_rotation_takes_a_new_pair_and_refuses_an_api_key()
    {
        var name = Api.Unique("bedrock");
        await fx.Api.Post("/api/providers", BedrockProvider(name), 201);

        var refused = await fx.Api.Put($"/api/providers/{name}/key", new { apiKey = "sk-wrong-kind" }, 400);
        await fx.Api.Put($"/api/providers/{name}/key", new { aws = new { accessKeyId = "AKIAI44QH8DHBEXAMPLE", secretAccessKey = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY" } }, 200);

        Assert.True(refused.ReadAsJson<JsonElement>().GetProperty("errors").TryGetProperty("apiKey", out _));
        var newPair = await fx.Api.Post("/api/providers/match", new { fingerprints = new[] { SecretFingerprint.Of("je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY") } }, 200).Json();
        var oldPair = await fx.Api.Post("/api/providers/match", new { fingerprints = new[] { SecretFingerprint.Of(Secret) } }, 200).Json();
        Assert.Contains(name, newPair.GetProperty("matches")[0].GetProperty("providers").EnumerateArray().Select(p => p.GetString()));
        Assert.DoesNotContain(name, oldPair.GetProperty("matches").EnumerateArray().SelectMany(m => m.GetProperty("providers").EnumerateArray()).Select(p => p.GetString()));
    }
}
