using System.Security.Cryptography;
using Governance.Api;
using Governance.Api.Operators;
using Governance.Domain.Operators;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Wolverine;
using Wolverine.Http;

namespace Governance.Tests.Integration.Roles;

/// <summary>
/// Its own API on its own schema, where the bootstrap token is the only admin (the shared fixture's database has
/// admins from other tests). Also serves <see cref="RoleGateProbeEndpoints"/>, an endpoint that names no roles.
/// </summary>
public sealed class when_one_admin_remains : IAsyncLifetime
{
    private readonly string _schema = "roles_" + RandomNumberGenerator.GetHexString(8, lowercase: true);
    private readonly string _masterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly string _bootstrap = OperatorToken.NewToken();
    private IAlbaHost _api = null!;

    private Task<IAlbaHost> StartApi() => AlbaHost.For<ApiMarker>(web =>
    {
        web.UseSetting("ConnectionStrings:Governance", TestDatabase.ConnectionString);
        web.UseSetting("Governance:Schema", _schema);
        web.UseSetting("GOVERNANCE_MASTER_KEY", _masterKey);
        web.UseSetting("Audit:SigningKey", TestAuditKeys.NewSigningKeyPem());
        web.UseSetting("GOVERNANCE_ADMIN_TOKEN", _bootstrap);
        web.UseSetting("Governance:SeedCatalog", "false");
        web.ConfigureServices(services =>
        {
            services.AddSingleton(new OperatorConsole(TextWriter.Null));
            services.AddLogging(logging => logging.ClearProviders());
            services.RunWolverineInSoloMode();
            services.DisableAllExternalWolverineTransports();
            services.ConfigureWolverine(opts => opts.Discovery.IncludeAssembly(typeof(RoleGateProbeEndpoints).Assembly));
        });
    });

    [Fact]
    public async Task the_last_admin_cannot_revoke_itself_but_can_hand_over()
    {
        var bootstrapId = OperatorToken.IdFor(_bootstrap);

        var refused = await (await _api.Post($"/api/operators/{bootstrapId}/revoke", new { reason = "leaving" }, 409, _bootstrap)).Body();
        Assert.Equal("last_admin", refused.GetProperty("code").GetString());
        await _api.Get("/api/operators", 200, _bootstrap);

        // A non-admin operator does not count as the remaining admin.
        await _api.IssueOperator([OperatorRoles.Auditor, OperatorRoles.Approver], adminToken: _bootstrap);
        await _api.Post($"/api/operators/{bootstrapId}/revoke", new { reason = "leaving" }, 409, _bootstrap);

        var successor = await _api.IssueOperator([OperatorRoles.Admin], adminToken: _bootstrap);
        await _api.Post($"/api/operators/{bootstrapId}/revoke", new { reason = "handed over" }, 200, successor.Token);
        await _api.Get("/api/operators", 401, _bootstrap);
        await _api.Post($"/api/operators/{successor.Id}/revoke", new { reason = "leaving too" }, 409, successor.Token);

        // GOVERNANCE_ADMIN_TOKEN is still set, but a revoked bootstrap token is not issued again at start-up.
        await _api.DisposeAsync();
        _api = await StartApi();
        await _api.Get("/api/operators", 401, _bootstrap);
        await _api.Get("/api/operators", 200, successor.Token);
    }

    [Fact]
    public async Task two_admins_revoking_each_other_at_once_leave_one_admin()
    {
        var current = (Id: OperatorToken.IdFor(_bootstrap), Token: _bootstrap);
        for (var round = 0; round < 5; round++)
        {
            var other = await _api.IssueOperator([OperatorRoles.Admin], adminToken: current.Token);

            var results = await Task.WhenAll(
                _api.Send("POST", $"/api/operators/{other.Id}/revoke", new { reason = "race" }, current.Token),
                _api.Send("POST", $"/api/operators/{current.Id}/revoke", new { reason = "race" }, other.Token));

            // Exactly one revocation wins. The other is refused: 409 (it would leave no admin) or, when the winner
            // committed before the loser's token was even checked, 401 (the loser's token is already revoked).
            var statuses = results.Select(r => r.Context.Response.StatusCode).Order().ToArray();
            Assert.Equal(200, statuses[0]);
            Assert.Contains(statuses[1], new[] { 401, 409 });
            current = results[0].Context.Response.StatusCode == 200 ? current : (other.Id, other.Token);
            await _api.Get("/api/operators", 200, current.Token);
        }
    }

    [Fact]
    public async Task an_endpoint_that_names_no_roles_is_admin_only()
    {
        var auditor = await _api.IssueOperator([OperatorRoles.Auditor], adminToken: _bootstrap);
        var owner = await _api.IssueOperator([OperatorRoles.AppOwner], ["billing"], adminToken: _bootstrap);

        Assert.Equal("reached", await (await _api.Get(RoleGateProbeEndpoints.Url, 200, _bootstrap)).ReadAsTextAsync());
        await _api.Get(RoleGateProbeEndpoints.Url, 403, auditor.Token);
        await _api.Get(RoleGateProbeEndpoints.Url, 403, owner.Token);
        await _api.Get(RoleGateProbeEndpoints.Url, 401, token: null);
    }

    public async Task InitializeAsync() => _api = await StartApi();

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        await using var connection = new NpgsqlConnection(TestDatabase.ConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"drop schema if exists {_schema} cascade; drop schema if exists {_schema}_wolverine cascade;", connection);
        await drop.ExecuteNonQueryAsync();
    }
}

/// <summary>An endpoint without any role attribute, found only by hosts that include the test assembly.</summary>
public static class RoleGateProbeEndpoints
{
    public const string Url = "/api/test-probes/unannotated";

    [WolverineGet(Url)]
    public static string Get() => "reached";
}
