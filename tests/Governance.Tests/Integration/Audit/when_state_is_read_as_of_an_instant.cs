using System.Net;
using System.Text.Json;
using Governance.Domain.Operators;
using Governance.Tests.Integration.Roles;
using static Governance.Tests.Integration.Audit.AuditApi;

namespace Governance.Tests.Integration.Audit;

/// <summary>?asOf= answers with the state as it was then, rebuilt from the events, whatever happened since.</summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_state_is_read_as_of_an_instant(GovernanceFixture fx)
{
    /// <summary>Now; then the clock moves on a minute, so whatever happens next is strictly later than the mark.</summary>
    private DateTimeOffset Mark()
    {
        var now = fx.Clock.GetUtcNow();
        fx.Clock.Advance(TimeSpan.FromMinutes(1));
        return now;
    }

    [Fact]
    public async Task a_key_reads_as_it_was_before_its_scope_changed_and_before_it_was_revoked()
    {
        var model = await fx.ProviderAndModel();
        var other = await fx.ProviderAndModel();
        var beforeIssue = Mark();
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        var afterIssue = Mark();
        await fx.Put($"/api/keys/{issued.Id}/models", new { models = new[] { model, other } });
        var afterScope = Mark();
        await fx.Api.Post($"/api/keys/{issued.Id}/revoke", new { reason = "leaked" }, 200);
        Mark();

        await fx.GetJson($"/api/keys/{issued.Id}?{AsOf(beforeIssue)}", HttpStatusCode.NotFound);
        var first = await fx.GetJson($"/api/keys/{issued.Id}?{AsOf(afterIssue)}");
        Assert.Equal("active", first.GetProperty("status").GetString());
        Assert.Equal([model], first.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        var widened = await fx.GetJson($"/api/keys/{issued.Id}?{AsOf(afterScope)}");
        Assert.Equal("active", widened.GetProperty("status").GetString());
        Assert.Equal([model, other], widened.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        var now = await fx.GetJson($"/api/keys/{issued.Id}");
        Assert.Equal("revoked", now.GetProperty("status").GetString());
        Assert.Equal("leaked", now.GetProperty("statusReason").GetString());
    }

    [Fact]
    public async Task an_instant_with_an_offset_or_an_unencoded_plus_means_the_same_moment()
    {
        var model = await fx.ProviderAndModel();
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        var active = Mark();
        await fx.Api.Post($"/api/keys/{issued.Id}/suspend", new { reason = "audit" }, 200);
        Mark();

        var local = active.ToOffset(TimeSpan.FromHours(1)).ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz");
        Assert.Equal("active", (await fx.GetJson($"/api/keys/{issued.Id}?asOf={Uri.EscapeDataString(local)}")).GetProperty("status").GetString());
        // As typed by hand: the '+' is not encoded and reaches the server as a space.
        Assert.Equal("active", (await fx.GetJson($"/api/keys/{issued.Id}?asOf={local}")).GetProperty("status").GetString());
        Assert.Equal("suspended", (await fx.GetJson($"/api/keys/{issued.Id}?asOf={Uri.EscapeDataString(fx.Clock.GetUtcNow().ToString("O"))}"))
            .GetProperty("status").GetString());
    }

    [Fact]
    public async Task a_budget_shows_its_limit_and_the_spend_of_the_window_as_they_stood_then()
    {
        var model = await fx.ProviderAndModel(inputPrice: 0m, outputPrice: 50m);
        var issued = await fx.IssueKey(Api.Unique("app"), model);
        // Start at the beginning of a UTC day, so the next day is a new daily window.
        var now = fx.Clock.GetUtcNow();
        fx.Clock.Advance(now.UtcDateTime.Date.AddDays(1).AddHours(1) - now.UtcDateTime);
        var beforeBudget = Mark();
        await fx.Put($"/api/budgets/key/{issued.Id}", new { limit = 1.00m, period = "daily" });
        Mark();
        await fx.Api.Post("/api/usage", Usage(issued.Id, model, 1000), 200); // $0.05
        var dayOne = Mark();
        var held = await fx.Api.Post("/api/authorize", new { key = issued.Key, model, maxInputTokens = 0, maxOutputTokens = 2000 }, 200).Json();
        var whileHeld = Mark();
        await fx.Api.Post("/api/usage", Usage(issued.Id, model, 400, held.GetProperty("reservationId").GetString()), 200); // $0.02
        var dayOneEnd = Mark();
        await fx.Put($"/api/budgets/key/{issued.Id}", new { limit = 2.00m, period = "daily" });
        fx.Clock.Advance(TimeSpan.FromDays(1));
        await fx.Api.Post("/api/usage", Usage(issued.Id, model, 2000), 200); // $0.10 on day two

        await fx.GetJson($"/api/budgets/key/{issued.Id}?{AsOf(beforeBudget)}", HttpStatusCode.NotFound);
        var first = await fx.GetJson($"/api/budgets/key/{issued.Id}?{AsOf(dayOne)}");
        Assert.Equal((1.00m, "daily", 0.05m, 0m, 0.95m), Standing(first));
        Assert.Equal(dayOne.UtcDateTime.Date, first.GetProperty("windowStart").GetDateTimeOffset().UtcDateTime);
        Assert.Equal((1.00m, "daily", 0.05m, 0.10m, 0.85m), Standing(await fx.GetJson($"/api/budgets/key/{issued.Id}?{AsOf(whileHeld)}")));
        Assert.Equal((1.00m, "daily", 0.07m, 0m, 0.93m), Standing(await fx.GetJson($"/api/budgets/key/{issued.Id}?{AsOf(dayOneEnd)}")));
        var today = await fx.GetJson($"/api/budgets/key/{issued.Id}");
        Assert.Equal((2.00m, "daily", 0.10m, 0m, 1.90m), Standing(today));
        Assert.Equal(dayOne.UtcDateTime.Date.AddDays(1), today.GetProperty("windowStart").GetDateTimeOffset().UtcDateTime);
    }

    private static (decimal, string?, decimal, decimal, decimal) Standing(JsonElement b) => (
        b.GetProperty("limit").GetDecimal(), b.GetProperty("period").GetString(), b.GetProperty("settled").GetDecimal(),
        b.GetProperty("held").GetDecimal(), b.GetProperty("remaining").GetDecimal());

    [Fact]
    public async Task a_model_shows_the_price_and_policy_in_force_then_and_a_price_set_for_later_as_pending()
    {
        var beforeModel = Mark();
        var model = await fx.ProviderAndModel(inputPrice: 1m, outputPrice: 2m);
        var firstPrice = Mark();
        await fx.Put($"/api/prices/{model}", new { inputPer1M = 3m, outputPer1M = 4m });
        var secondPrice = Mark();
        await fx.Put($"/api/prices/{model}", new { inputPer1M = 5m, outputPer1M = 6m, effectiveFrom = fx.Clock.GetUtcNow().AddHours(1) });
        var thirdAnnounced = Mark();
        await fx.Put($"/api/models/{model}/policy", new { restricted = true, approvalsRequired = 1, maxGrantDays = 7 });
        var restricted = Mark();

        await fx.GetJson($"/api/models/{model}?{AsOf(beforeModel)}", HttpStatusCode.NotFound);
        var then = await fx.GetJson($"/api/models/{model}?{AsOf(firstPrice)}");
        Assert.Equal(1m, then.GetProperty("currentPrice").GetProperty("inputPer1M").GetDecimal());
        Assert.Equal(1, then.GetProperty("priceHistory").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, then.GetProperty("policy").ValueKind);

        var prices = await fx.GetJson($"/api/prices/{model}?{AsOf(secondPrice)}");
        Assert.Equal(2, prices.GetProperty("currentPrice").GetProperty("version").GetInt32());
        var announced = await fx.GetJson($"/api/prices/{model}?{AsOf(thirdAnnounced)}");
        Assert.Equal(2, announced.GetProperty("currentPrice").GetProperty("version").GetInt32());
        Assert.Equal(3, announced.GetProperty("priceHistory").GetArrayLength());

        var policyBefore = await fx.GetJson($"/api/models/{model}/policy?{AsOf(thirdAnnounced)}");
        Assert.Equal(JsonValueKind.Null, policyBefore.GetProperty("policy").ValueKind);
        var policyAfter = await fx.GetJson($"/api/models/{model}/policy?{AsOf(restricted)}");
        Assert.True(policyAfter.GetProperty("policy").GetProperty("restricted").GetBoolean());
        Assert.True((await fx.GetJson($"/api/models/{model}")).GetProperty("policy").GetProperty("restricted").GetBoolean());
    }

    [Fact]
    public async Task a_grant_reads_as_active_before_its_revocation_and_absent_before_it_was_granted()
    {
        var model = await fx.ProviderAndModel(inputPrice: 0m, outputPrice: 50m);
        await fx.Put($"/api/models/{model}/policy", new { restricted = true, approvalsRequired = 1, maxGrantDays = 7 });
        var app = Api.Unique("app");
        var key = await fx.IssueKey(app, model);
        var approver = (await fx.IssueOperator(OperatorRoles.Approver)).Token;
        var request = await fx.Api.Post("/api/access-requests",
            new { keyId = key.Id, model, justification = "month-end close", durationDays = 3 }, 201).Json();
        var id = request.GetProperty("id").GetString()!;
        var pending = Mark();
        await fx.Api.Post($"/api/access-requests/{id}/approve", new { comment = "ok" }, 200, approver);
        var granted = Mark();
        await fx.Api.Post($"/api/grants/{id}/revoke", new { reason = "project cancelled" }, 200, approver);
        Mark();

        Assert.Equal(0, (await fx.GetJson($"/api/grants?key={key.Id}&{AsOf(pending)}")).GetArrayLength());
        var then = (await fx.GetJson($"/api/grants?key={key.Id}&{AsOf(granted)}")).EnumerateArray().Single();
        Assert.Equal(id, then.GetProperty("id").GetString());
        Assert.Equal("granted", then.GetProperty("status").GetString());
        Assert.True(then.GetProperty("active").GetBoolean());
        var now = (await fx.GetJson($"/api/grants?key={key.Id}")).EnumerateArray().Single();
        Assert.Equal("revoked", now.GetProperty("status").GetString());
        Assert.False(now.GetProperty("active").GetBoolean());
    }

    public static TheoryData<string> Malformed() => new()
    {
        "yesterday", "2026-11-02", "2026-11-02T14:03:00", "2026-13-02T14:03:00Z", "2026-11-02 14:03:00Z", "1793627000", "",
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task a_malformed_instant_is_a_400_naming_as_of_on_every_point_in_time_read(string malformed)
    {
        var model = await fx.ProviderAndModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        await fx.Put($"/api/budgets/key/{key.Id}", new { limit = 1m, period = "monthly" });
        string[] reads = [$"/api/keys/{key.Id}", $"/api/budgets/key/{key.Id}", $"/api/models/{model}", $"/api/prices/{model}",
            $"/api/models/{model}/policy", "/api/grants"];

        foreach (var read in reads)
        {
            var problem = await fx.GetJson($"{read}?asOf={Uri.EscapeDataString(malformed)}", HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty("asOf", out _), $"{read}: {problem}");
        }
    }

    [Fact]
    public async Task an_instant_in_the_future_is_refused_rather_than_answered_with_the_present()
    {
        var model = await fx.ProviderAndModel();
        var key = await fx.IssueKey(Api.Unique("app"), model);
        var later = fx.Clock.GetUtcNow().AddSeconds(1);

        var problem = await fx.GetJson($"/api/keys/{key.Id}?{AsOf(later)}", HttpStatusCode.BadRequest);
        Assert.Contains("future", problem.GetProperty("errors").GetProperty("asOf")[0].GetString());
        Assert.Equal("active", (await fx.GetJson($"/api/keys/{key.Id}?{AsOf(fx.Clock.GetUtcNow())}")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task an_app_owner_reads_the_past_of_its_own_keys_only()
    {
        var model = await fx.ProviderAndModel();
        var app = Api.Unique("app");
        var mine = await fx.IssueKey(app, model);
        var theirs = await fx.IssueKey(Api.Unique("app"), model);
        var owner = (await fx.IssueAppOwner(app)).Token;
        var then = Mark();

        Assert.Equal(mine.Id, (await fx.GetJson($"/api/keys/{mine.Id}?{AsOf(then)}", token: owner)).GetProperty("id").GetString());
        await fx.GetJson($"/api/keys/{theirs.Id}?{AsOf(then)}", HttpStatusCode.NotFound, owner);
    }
}
