using System.Net.Http.Headers;
using System.Text.Json;
using Marten;
using Marten.Events;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Governance.Tests.Browser;

/// <summary>
/// The dashboard in headless Chromium, as an operator uses it: sign in, issue a key and read its secret, see a proxied
/// call's spend, approve a pending access request as an approver, revoke a key. Every step waits on what the page
/// shows (Playwright's auto-waiting assertions), never on a timer.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class when_an_operator_uses_the_dashboard(DashboardFixture fx)
{
    /// <summary>Markup in a key name and a justification must reach the page as text.</summary>
    private const string Hostile = "<img src=x onerror=\"window.__xss=1\">";

    [Fact]
    public async Task sign_in_issue_spend_approve_and_revoke()
    {
        var app = Integration.Api.Unique("billing");
        var model = await ProviderAndModel("gpt-4o-mini", 0.15m, 0.60m);
        var restricted = await ProviderAndModel("o1-pro", 150m, 600m);
        // A small budget, so that the calls below cross its 50% threshold.
        await Send(HttpMethod.Put, $"/api/budgets/app/{app}", new { limit = 0.00005m, period = "monthly" });
        await Send(HttpMethod.Put, $"/api/models/{restricted}/policy", new { restricted = true, approvalsRequired = 1, maxGrantDays = 7 });
        var approverToken = (await Send(HttpMethod.Post, "/api/operators", new { name = "alice", roles = new[] { "approver" } }))
            .GetProperty("token").GetString()!;
        var hostileKey = (await Send(HttpMethod.Post, "/api/keys", new { app, name = Hostile, models = new[] { model } })).GetProperty("id").GetString()!;
        await SeedEarlierSpend(model);

        await using var context = await fx.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new() { Width = 1280, Height = 800 } });
        var page = await context.NewPageAsync();
        List<string> consoleErrors = [];
        page.Console += (_, message) => { if (message.Type == "error") consoleErrors.Add($"{message.Text} ({message.Location})"); };
        page.PageError += (_, error) => consoleErrors.Add(error);

        // Sign in: the page is served with a Content-Security-Policy and asks for a token.
        var response = await page.GotoAsync(fx.BaseUrl + "/ui");
        Assert.Contains("script-src 'self'", (await response!.AllHeadersAsync())["content-security-policy"]);
        await SignIn(page, DashboardFixture.AdminToken);
        await Expect(page.Locator("#whoami")).ToContainTextAsync("admin");

        // Issue a key: the secret is shown once. Markup in another key's name shows as text.
        await page.ClickAsync("#tabs a[data-tab=keys]");
        await Expect(page.Locator($"#key-table tr[data-key-id='{hostileKey}'] .key-name")).ToHaveTextAsync(Hostile);
        await page.FillAsync("#issue-app", app);
        await page.FillAsync("#issue-name", "invoices-prod");
        await page.FillAsync("#issue-models", $"{model}, {restricted}");
        await page.ClickAsync("#issue-form button[type=submit]");
        await Expect(page.Locator("#secret")).ToBeVisibleAsync();
        var secret = await page.InputValueAsync("#secret-value");
        var keyId = await KeyIdOf(secret);
        var row = page.Locator($"#key-table tr[data-key-id='{keyId}']");
        await Expect(row.Locator(".key-name")).ToHaveTextAsync("invoices-prod");
        await Expect(row.Locator(".status")).ToHaveTextAsync("active");
        await page.ClickAsync("#copy-secret");
        await Expect(page.Locator("#copied")).ToHaveTextAsync("copied");

        // Proxied calls with that key: their spend shows once the dashboards' projection has them.
        using var proxy = fx.Proxy.Server.CreateClient();
        proxy.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        for (var i = 0; i < 4; i++)
        {
            var call = await proxy.PostAsJsonAsync("/v1/chat/completions",
                new { model, max_tokens = 16, messages = new[] { new { role = "user", content = "Summarise the invoice " + i } } });
            Assert.True(call.IsSuccessStatusCode, $"proxied call: {(int)call.StatusCode} {await call.Content.ReadAsStringAsync()}");
        }
        await fx.Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));
        await page.ReloadAsync();
        // 4 calls × (23 input tokens at $0.15/1M + 7 output tokens at $0.60/1M) = $0.0000306
        await Expect(row.Locator(".key-spend")).ToHaveTextAsync("$0.000031");

        await page.ClickAsync("#tabs a[data-tab=overview]");
        await Expect(page.Locator($"#top-keys tr[data-key-id='{keyId}']")).ToContainTextAsync("invoices-prod");
        await Expect(page.Locator("#spend-svg rect.spend-bar").First).ToBeVisibleAsync();
        await Expect(page.Locator("#spend-chart .legend")).ToContainTextAsync(app);
        await Expect(page.Locator($"#budgets [data-owner='app:{app}']")).ToContainTextAsync("$0.000031 settled");
        await Expect(page.Locator("#alerts")).ToContainTextAsync($"50% of $0.000050 reached");
        await Screenshot(page);
        await page.SelectOptionAsync("#spend-by", "model");
        await Expect(page.Locator("#spend-chart .legend")).ToHaveTextAsync(model);

        // An approver approves a pending request; it leaves the queue for the decisions, granted.
        var requestId = (await Send(HttpMethod.Post, "/api/access-requests",
            new { keyId, model = restricted, justification = "Quarter-end reports " + Hostile, durationDays = 3 })).GetProperty("id").GetString()!;
        await page.ClickAsync("#sign-out");
        await SignIn(page, approverToken);
        await Expect(page.Locator("#whoami")).ToContainTextAsync("approver");
        await Expect(page.Locator("#tabs a[data-tab=overview]")).ToBeHiddenAsync();
        await page.ClickAsync("#tabs a[data-tab=approvals]");
        var pending = page.Locator($"#queue tr[data-request-id='{requestId}']");
        await Expect(pending.Locator(".justification")).ToHaveTextAsync("Quarter-end reports " + Hostile);
        await Expect(pending).ToContainTextAsync("$150.00 in / $600.00 out");
        await pending.Locator("button.approve").ClickAsync();
        await page.FillAsync("#confirm-input", "ok for the quarter");
        await page.ClickAsync("#confirm-ok");
        await Expect(pending).ToHaveCountAsync(0);
        await Expect(page.Locator($"#decisions tr[data-request-id='{requestId}'] .status")).ToHaveTextAsync("granted");

        // The admin revokes the key: its status changes, and the proxy refuses it.
        await page.ClickAsync("#sign-out");
        await SignIn(page, DashboardFixture.AdminToken);
        await page.ClickAsync("#tabs a[data-tab=keys]");
        await row.Locator("button.revoke").ClickAsync();
        await page.FillAsync("#confirm-input", "leaked");
        await page.ClickAsync("#confirm-ok");
        await Expect(row.Locator(".status")).ToHaveTextAsync("revoked");
        await Expect(row.Locator("button.revoke")).ToHaveCountAsync(0);
        var refused = await proxy.PostAsJsonAsync("/v1/chat/completions", new { model, messages = new[] { new { role = "user", content = "again" } } });
        Assert.Equal(401, (int)refused.StatusCode);

        // The key's timeline, with who did what.
        await row.Locator("button.history").ClickAsync();
        await Expect(page.Locator("#timeline .event-type")).ToContainTextAsync(["key_issued", "key_revoked"]);
        await Expect(page.Locator("#audit-export")).ToBeVisibleAsync();

        Assert.Null(await page.EvaluateAsync<int?>("() => window.__xss ?? null"));
        Assert.True(consoleErrors.Count == 0, "The page logged errors:\n" + string.Join("\n", consoleErrors));
    }

    /// <summary>
    /// Two other apps' spend over the last 20 hours, recorded as a proxy records it (request_completed events), so the
    /// chart has a history to show.
    /// </summary>
    private async Task SeedEarlierSpend(string model)
    {
        var now = DateTimeOffset.UtcNow;
        await using var session = fx.Store.LightweightSession();
        foreach (var (name, scale) in new[] { ("support-bot", 1m), ("search", 0.5m) })
        {
            var app = Integration.Api.Unique(name);
            var key = (await Send(HttpMethod.Post, "/api/keys", new { app, name = name + "-prod", models = new[] { model } })).GetProperty("id").GetString()!;
            for (var hour = 20; hour >= 1; hour--)
            {
                var request = Integration.Dashboards.Ledger.Request(key, app, model, scale * (0.000010m + 0.000003m * (hour % 7)), now.AddHours(-hour));
                session.Events.StartStream<Governance.Domain.Usage.RequestRecord>(request.RequestId, request);
            }
        }
        await session.SaveChangesAsync();
    }

    private static async Task SignIn(IPage page, string token)
    {
        await page.FillAsync("#token", token);
        await page.ClickAsync("#sign-in-form button[type=submit]");
    }

    /// <summary>The overview as the README shows it (GOVERNANCE_UPDATE_SCREENSHOT=1 refreshes docs/images/overview.png).</summary>
    private static async Task Screenshot(IPage page)
    {
        var root = RepoRoot();
        var path = Environment.GetEnvironmentVariable("GOVERNANCE_UPDATE_SCREENSHOT") == "1"
            ? Path.Combine(root, "docs", "images", "overview.png")
            : Path.Combine(root, ".data", "screenshots", "overview.png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, Type = ScreenshotType.Png });
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Governance.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Governance.sln not found above " + AppContext.BaseDirectory);
    }

    private async Task<string> ProviderAndModel(string upstreamModel, decimal input, decimal output)
    {
        var provider = Integration.Api.Unique("prov");
        await Send(HttpMethod.Post, "/api/providers", new { name = provider, kind = "openai", baseUrl = fx.Upstream.BaseUrl, apiKey = "sk-provider-" + provider });
        var name = Integration.Api.Unique(upstreamModel);
        await Send(HttpMethod.Post, "/api/models", new { name, provider, upstreamModel, inputPricePer1M = input, outputPricePer1M = output });
        return name;
    }

    /// <summary>The key whose secret the page showed: the only one issued from the page.</summary>
    private async Task<string> KeyIdOf(string secret)
    {
        Assert.False(string.IsNullOrWhiteSpace(secret));
        var keys = await Send(HttpMethod.Get, "/api/keys", null);
        var issued = keys.EnumerateArray().Where(k => k.GetProperty("name").GetString() == "invoices-prod").ToList();
        Assert.Single(issued);
        var id = issued[0].GetProperty("id").GetString()!;
        // The proxy accepts the shown secret as that key's (checked by the call below); here it at least names the key.
        Assert.Contains(id, secret);
        return id;
    }

    private async Task<JsonElement> Send(HttpMethod method, string url, object? body)
    {
        using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await fx.Admin.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {url}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}
