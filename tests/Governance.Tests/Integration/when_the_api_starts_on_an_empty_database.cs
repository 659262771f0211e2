using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Governance.Api;
using Governance.Api.Operators;
using Microsoft.Extensions.Logging;
using Npgsql;
using Wolverine;

namespace Governance.Tests.Integration;

/// <summary>A fresh install with no GOVERNANCE_ADMIN_TOKEN: a token is generated, printed once, stored as a hash.</summary>
public sealed class when_the_api_starts_on_an_empty_database : IAsyncLifetime
{
    private readonly string _schema = "boot_" + RandomNumberGenerator.GetHexString(8, lowercase: true);
    private readonly string _masterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private Task<IAlbaHost> StartApi(StringWriter console) => AlbaHost.For<ApiMarker>(web =>
    {
        web.UseSetting("ConnectionStrings:Governance", TestDatabase.ConnectionString);
        web.UseSetting("Governance:Schema", _schema);
        web.UseSetting("GOVERNANCE_MASTER_KEY", _masterKey);
        web.UseSetting("Audit:SigningKey", TestAuditKeys.NewSigningKeyPem());
        web.ConfigureServices(services =>
        {
            services.AddSingleton(new OperatorConsole(console));
            services.AddLogging(logging => logging.ClearProviders());
            services.RunWolverineInSoloMode();
            services.DisableAllExternalWolverineTransports();
        });
    });

    [Fact]
    public async Task a_generated_admin_token_is_printed_once_and_works()
    {
        var firstConsole = new StringWriter();
        string token;
        await using (var api = await StartApi(firstConsole))
        {
            token = Regex.Match(firstConsole.ToString(), @"gop_[A-Za-z0-9]{40}").Value;
            Assert.NotEmpty(token);
            await api.Post("/api/keys", new { app = "a", name = "n", models = new[] { "m" } }, 201, token);
        }

        var secondConsole = new StringWriter();
        await using (var restarted = await StartApi(secondConsole))
        {
            Assert.DoesNotContain("gop_", secondConsole.ToString());
            await restarted.Get("/api/keys", 200, token);
        }

        Assert.Equal(0, await CountRowsContaining(token));
        Assert.Equal(1, await CountRowsContaining(Governance.Domain.Operators.OperatorToken.HashOf(token)));
    }

    private async Task<long> CountRowsContaining(string text)
    {
        await using var connection = new NpgsqlConnection(TestDatabase.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"select count(*) from {_schema}.mt_events where data::text like @p", connection);
        command.Parameters.AddWithValue("p", "%" + text + "%");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await using var connection = new NpgsqlConnection(TestDatabase.ConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"drop schema if exists {_schema} cascade; drop schema if exists {_schema}_wolverine cascade;", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
