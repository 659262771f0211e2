using Governance.Api.Infrastructure;
using Governance.Contracts;
using Governance.Domain.Operators;
using ProxyAdapter;

namespace Governance.Tests.Integration.Adapter;

/// <summary>
/// Rolling upgrades (#17 point 6): the API speaks the current contract version and the previous one, so an adapter one
/// version behind keeps working while the fleet is upgraded; any other version is refused at its first call, naming the
/// versions the API speaks.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_adapters_state_a_contract_version(GovernanceFixture fx)
{
    private async Task<string> AdapterToken() =>
        (await fx.Api.Post("/api/operators", new { name = Api.Unique("edge"), roles = new[] { OperatorRoles.Adapter }, adapterId = Api.Unique("edge") }, 201).Json())
        .GetProperty("token").GetString()!;

    private Task<IScenarioResult> Snapshot(string token, string? version, int expectedStatus) =>
        fx.Api.Scenario(s =>
        {
            s.Get.Url("/api/feed/snapshot");
            s.WithRequestHeader("Authorization", "Bearer " + token);
            if (version is not null)
                s.WithRequestHeader(ContractVersion.Header, version);
            s.StatusCodeShouldBe(expectedStatus);
        });

    [Theory]
    [InlineData("2")]
    [InlineData("1")]
    [InlineData(null)]
    public async Task an_adapter_speaking_the_current_or_the_previous_version_or_none_keeps_working(string? version)
    {
        await Snapshot(await AdapterToken(), version, 200);
    }

    [Theory]
    [InlineData("3")]
    [InlineData("0")]
    [InlineData("two")]
    [InlineData("+2")]
    public async Task any_other_version_is_refused_at_once_naming_the_versions_the_api_speaks(string version)
    {
        var problem = await Snapshot(await AdapterToken(), version, 400).Json();

        Assert.Equal(ContractVersionCheck.Code, problem.GetProperty("code").GetString());
        Assert.Equal(ContractVersion.Header, problem.GetProperty("param").GetString());
        Assert.Equal([1, 2], problem.GetProperty("supported").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Contains("speaks contract versions 1, 2", problem.GetProperty("detail").GetString());
        Assert.Contains($"'{version}'", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public void the_adapter_states_the_current_version_on_every_call_to_the_api()
    {
        using var services = new ServiceCollection()
            .AddGovernanceApiClient(new GovernanceApiOptions(new Uri("http://127.0.0.1:5080/"), "token")).Services.BuildServiceProvider();

        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(GovernanceApiOptions.ClientName);

        Assert.Equal(["2"], client.DefaultRequestHeaders.GetValues(ContractVersion.Header));
    }
}
