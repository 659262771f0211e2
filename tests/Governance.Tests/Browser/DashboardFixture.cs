using System.Net.Http.Headers;
using System.Security.Cryptography;
using Alba;
using Governance.Api;
using Governance.Tests.Integration;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using System.Net.Http.Json;
using System.Text.Json;
using Governance.Tests.Integration.Adapter;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using ProxyAdapter.Reporting;
using ProxyAdapter;
using Wolverine;

namespace Governance.Tests.Browser;

/// <summary>
/// The governance API in memory behind a relay on a real loopback port (a browser can't reach an in-memory test server), the proxy in memory, a
/// fake upstream, and headless Chromium driven by Playwright. Its own schema, dropped at the end, and the real clock:
/// the page computes its time ranges from the browser's clock, which a fake server clock would not match.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public const string AdminToken = "browser-admin-token-0123456789abcdef";

    /// <summary>Debian's chromium package; GOVERNANCE_CHROMIUM names another build.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("GOVERNANCE_CHROMIUM") ?? "/usr/bin/chromium";

    private readonly string _schema = "ui_" + RandomNumberGenerator.GetHexString(8, lowercase: true);
    private readonly string _masterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private LoopbackRelay? _relay;
    private IPlaywright? _playwright;

    public FakeUpstream Upstream { get; } = new();
    public string BaseUrl { get; private set; } = "";
    public HttpClient Admin { get; private set; } = null!;
    public IAlbaHost Proxy { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public IAlbaHost Api { get; private set; } = null!;
    public IDocumentStore Store => Api.Services.GetRequiredService<IDocumentStore>();

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException(
                $"Chromium was not found at {ChromiumPath}; the dashboard's browser test needs it. Install Debian's package " +
                "(apt-get install -y --no-install-recommends chromium; ./test.sh does this) or set GOVERNANCE_CHROMIUM to a Chromium binary.");

        await Upstream.StartAsync();
        Api = await AlbaHost.For<ApiMarker>(Configure);
        _relay = await LoopbackRelay.StartAsync(Api.Server);
        BaseUrl = _relay.BaseUrl;
        Admin = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        // The proxy starts after the API has created the schema, as run.sh does, with an adapter token of its own.
        var adapter = await (await Admin.PostAsJsonAsync("/api/operators", new { name = "browser-adapter", roles = new[] { "adapter" }, adapterId = "browser-adapter" }))
            .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
        Proxy = await AlbaHost.For<ProxyMarker>(web =>
        {
            Configure(web);
            web.UseSetting("Proxy:JournalPath", Path.Combine(Path.GetTempPath(), "governance-journal-tests", Guid.NewGuid().ToString("N")));
            // Each proxied call first waits until the adapter has applied what the page just changed.
            AdapterProxy.Configure(web, Api, "browser-adapter", adapter.GetProperty("token").GetString()!,
                new AdapterCatchUp(TestDatabase.ConnectionString, _schema, () => Store));
        });

        // Playwright's own driver (shipped in its NuGet package, no download) drives Debian's Chromium.
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"],
        });
    }

    private void Configure(IWebHostBuilder web)
    {
        web.UseSetting("ConnectionStrings:Governance", TestDatabase.ConnectionString);
        web.UseSetting("Governance:Schema", _schema);
        web.UseSetting("GOVERNANCE_MASTER_KEY", _masterKey);
        web.UseSetting("GOVERNANCE_ADMIN_TOKEN", AdminToken);
        web.UseSetting("Proxy:AdapterId", "browser-adapter");
        web.UseSetting("Audit:SigningKey", TestAuditKeys.NewSigningKeyPem());
        web.UseSetting("Audit:CheckpointIntervalSeconds", "0");
        web.UseSetting("Outbound:AllowPrivateNetworks", "true");
        web.ConfigureServices(services =>
        {
            services.AddLogging(logging => logging.ClearProviders());
            services.RunWolverineInSoloMode();
            services.DisableAllExternalWolverineTransports();
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
            await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (Proxy is not null)
            await Proxy.DisposeAsync();
        Admin?.Dispose();
        if (_relay is not null)
            await _relay.DisposeAsync();
        if (Api is not null)
            await Api.DisposeAsync();
        await Upstream.DisposeAsync();
        await using var connection = new NpgsqlConnection(TestDatabase.ConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"drop schema if exists {_schema} cascade; drop schema if exists {_schema}_wolverine cascade;", connection);
        await drop.ExecuteNonQueryAsync();
    }
}

/// <summary>
/// Runs alone, after the parallel collections: a browser, two more hosts and their connection pools would otherwise
/// compete with the load tests of the other collection (and slow this one down).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DashboardCollection : ICollectionFixture<DashboardFixture>
{
    public const string Name = "dashboard";
}
