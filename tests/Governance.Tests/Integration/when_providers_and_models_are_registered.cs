using System.Net;
using Npgsql;

namespace Governance.Tests.Integration;

[Collection(GovernanceCollection.Name)]
public sealed class when_providers_and_models_are_registered(GovernanceFixture fx)
{
    [Fact]
    public async Task the_provider_key_is_write_only_and_encrypted_at_rest()
    {
        var name = Api.Unique("prov");
        const string secret = "sk-live-very-secret-provider-key";
        var created = await fx.Api.Post("/api/providers", new { name, kind = "openai", baseUrl = "https://api.example.test/v1/", apiKey = secret }, 201);
        var body = await created.ReadAsTextAsync();
        Assert.DoesNotContain(secret, body);
        Assert.Contains("\"baseUrl\":\"https://api.example.test/v1\"", body);

        var listed = await (await fx.Api.Get("/api/providers")).ReadAsTextAsync();
        Assert.Contains(name, listed);
        Assert.DoesNotContain(secret, listed);

        Assert.Equal(0, await CountRowsContaining(secret));
    }

    [Fact]
    public async Task registering_the_same_provider_twice_concurrently_creates_it_once()
    {
        var name = Api.Unique("prov");
        var body = new { name, kind = "openai", baseUrl = "https://api.example.test/v1", apiKey = "sk-x" };
        var client = fx.Api.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", GovernanceFixture.AdminToken);
        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => client.PostAsJsonAsync("/api/providers", body)));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        var listed = await (await fx.Api.Get("/api/providers")).ReadAsTextAsync();
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(listed, $"\"name\":\"{name}\""));
    }

    [Theory]
    [InlineData("kind", """{"name":"p1","kind":"carrier-pigeon","baseUrl":"https://x.test","apiKey":"k"}""")]
    [InlineData("baseUrl", """{"name":"p1","kind":"openai","baseUrl":"ftp://x.test","apiKey":"k"}""")]
    [InlineData("name", """{"name":"Has Spaces","kind":"openai","baseUrl":"https://x.test","apiKey":"k"}""")]
    [InlineData("apiKey", """{"name":"p1","kind":"openai","baseUrl":"https://x.test"}""")]
    public async Task an_invalid_provider_is_refused_naming_the_field(string field, string json)
    {
        var problem = await fx.Api.Scenario(s =>
        {
            s.Post.Text(json).ToUrl("/api/providers");
            s.WithRequestHeader("Content-Type", "application/json");
            s.WithRequestHeader("Authorization", "Bearer " + GovernanceFixture.AdminToken);
            s.StatusCodeShouldBe(400);
            s.ContentTypeShouldBe("application/problem+json");
        }).Json();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"expected an error for '{field}': {problem}");
    }

    [Fact]
    public async Task a_model_must_name_a_registered_provider()
    {
        var problem = await fx.Api.Post("/api/models",
            new { name = Api.Unique("m"), provider = "no-such-provider", upstreamModel = "x", inputPricePer1M = 1m, outputPricePer1M = 1m }, 400).Json();
        Assert.True(problem.GetProperty("errors").TryGetProperty("provider", out _));
    }

    [Fact]
    public async Task a_negative_price_is_refused()
    {
        var model = await fx.ProviderAndModel();
        var provider = (await fx.Api.Get("/api/models").Json()).EnumerateArray().Single(m => m.GetProperty("name").GetString() == model)
            .GetProperty("provider").GetString();
        var problem = await fx.Api.Post("/api/models",
            new { name = Api.Unique("m"), provider, upstreamModel = "x", inputPricePer1M = -1m, outputPricePer1M = 1m }, 400).Json();
        Assert.True(problem.GetProperty("errors").TryGetProperty("inputPricePer1M", out _));
    }

    private async Task<long> CountRowsContaining(string text)
    {
        await using var connection = new NpgsqlConnection(fx.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"select (select count(*) from {fx.Schema}.mt_events where data::text like @p) + (select count(*) from {fx.Schema}.mt_doc_provider where data::text like @p)",
            connection);
        command.Parameters.AddWithValue("p", "%" + text + "%");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
