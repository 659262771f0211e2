using Governance.Api.Catalog;
using Governance.Domain.Catalog;
using Governance.Domain.Operators;
using Governance.Domain.Secrets;
using Governance.Hosting.Secrets;
using Governance.Tests.Domain;
using Governance.Tests.Integration.Proxy;
using Governance.Tests.Integration.Roles;
using Marten;

namespace Governance.Tests.Integration.Secrets;

/// <summary>
/// Each provider key's SHA-256 fingerprint is recorded (never the key), so a leaked provider key found by a scanner is
/// traced to its provider by an admin, and the admin puts the provider's new key in its place.
/// </summary>
[Collection(GovernanceCollection.Name)]
public sealed class when_provider_keys_are_fingerprinted(GovernanceFixture fx)
{
    private Task<System.Text.Json.JsonElement> Match(string[] fingerprints, int status = 200, string token = GovernanceFixture.AdminToken) =>
        fx.Api.Post("/api/providers/match", new { fingerprints }, status, token).Json();

    private static string[] Providers(System.Text.Json.JsonElement answer, string fingerprint) =>
        answer.GetProperty("matches").EnumerateArray().Where(m => m.GetProperty("fingerprint").GetString() == fingerprint)
            .SelectMany(m => m.GetProperty("providers").EnumerateArray().Select(p => p.GetString()!)).ToArray();

    [Fact]
    public async Task an_admin_matches_a_found_key_to_its_provider_and_no_other_role_may()
    {
        var secret = "sk-proj-" + Api.Unique("fingerprinted");
        var provider = Api.Unique("prov");
        await fx.Api.Post("/api/providers", new { name = provider, kind = "openai", baseUrl = fx.Upstream.BaseUrl, apiKey = secret }, 201);
        var unknown = SecretFingerprint.Of("sk-proj-never-registered");

        var answer = await Match([SecretFingerprint.Of(secret), unknown]);

        Assert.Equal([provider], Providers(answer, SecretFingerprint.Of(secret)));
        Assert.Empty(Providers(answer, unknown));
        foreach (var role in new[] { OperatorRoles.Auditor, OperatorRoles.Approver, OperatorRoles.Responder, OperatorRoles.Adapter })
            await Match([SecretFingerprint.Of(secret)], 403, (await fx.IssueOperator(role)).Token);
        // The fingerprint, not the key, is what the history keeps.
        await using var session = fx.Store.QuerySession();
        var registered = (ProviderRegistered)(await session.Events.FetchStreamAsync(provider)).Single().Data;
        Assert.Equal(SecretFingerprint.Of(secret), registered.KeyFingerprint);
        Assert.DoesNotContain(secret, System.Text.Json.JsonSerializer.Serialize(registered));
    }

    [Fact]
    public async Task a_fingerprint_that_is_not_64_hex_digits_is_refused_naming_it()
    {
        var problem = await Match(["sk-proj-the-key-itself"], 400);

        Assert.True(problem.GetProperty("errors").TryGetProperty("fingerprints[0]", out _), problem.ToString());
    }

    [Fact]
    public async Task a_rotated_provider_key_replaces_the_old_one_in_the_match_and_on_the_wire()
    {
        var provider = await fx.Provider(fx.Upstream.BaseUrl);
        var upstreamModel = Api.Unique("rotating");
        var model = await fx.Model([new(provider, upstreamModel)]);
        var key = await fx.IssueKey(Api.Unique("app"), model);
        var old = "sk-provider-" + provider;
        var fresh = "sk-proj-" + Api.Unique("fresh");

        var rotated = await fx.Api.Put($"/api/providers/{provider}/key", new { apiKey = fresh }, 200).Json();
        await fx.Api.Put($"/api/providers/{provider}/key", new { apiKey = fresh }, 200);

        Assert.DoesNotContain(fresh, rotated.ToString());
        Assert.Empty(Providers(await Match([SecretFingerprint.Of(old)]), SecretFingerprint.Of(old)));
        Assert.Equal([provider], Providers(await Match([SecretFingerprint.Of(fresh)]), SecretFingerprint.Of(fresh)));
        using var client = fx.ProxyClient(key.Key);
        using var response = await client.PostAsync("/v1/chat/completions", Routing.JsonBody(Routing.ChatJson(model, "hi")));
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("Bearer " + fresh, fx.Upstream.Requests.Last(r => r.Model == upstreamModel).Authorization);
        // The same key twice is one rotation.
        await using var session = fx.Store.QuerySession();
        Assert.Single(await session.Events.FetchStreamAsync(provider), e => e.Data is ProviderKeyRotated);
        await fx.Api.Put($"/api/providers/{Api.Unique("missing")}/key", new { apiKey = fresh }, 404);
    }

    [Fact]
    public async Task a_provider_registered_before_fingerprints_gets_one_once_from_its_decrypted_key()
    {
        var legacy = Api.Unique("prov");
        var unreadable = Api.Unique("prov");
        await using (var session = fx.Store.LightweightSession())
        {
            session.Events.StartStream<Provider>(legacy, new ProviderRegistered(legacy, ProviderKinds.OpenAi, fx.Upstream.BaseUrl,
                LegacyCiphertext.Of(fx.MasterKey, "sk-provider-" + legacy, legacy), "op_legacy", fx.Clock.GetUtcNow()));
            // Encrypted under a master key this deployment does not hold.
            session.Events.StartStream<Provider>(unreadable, new ProviderRegistered(unreadable, ProviderKinds.OpenAi, fx.Upstream.BaseUrl,
                new SecretProtector(Convert.ToBase64String(new byte[32])).Protect("sk-other", SecretBinding.Provider(unreadable, fx.Upstream.BaseUrl)),
                "op_legacy", fx.Clock.GetUtcNow()));
            await session.SaveChangesAsync();
        }
        var protector = new SecretProtector(fx.MasterKey);

        var first = await ProviderFingerprints.RunAsync(fx.Store, protector, fx.Clock.GetUtcNow(), default);
        var second = await ProviderFingerprints.RunAsync(fx.Store, protector, fx.Clock.GetUtcNow(), default);

        Assert.Contains(legacy, first.Recorded);
        Assert.DoesNotContain(legacy, second.Recorded);
        Assert.Contains(first.Failures, f => f.StartsWith($"provider {unreadable}:", StringComparison.Ordinal));
        Assert.Equal([legacy], Providers(await Match([SecretFingerprint.Of("sk-provider-" + legacy)]), SecretFingerprint.Of("sk-provider-" + legacy)));
        await using var query = fx.Store.QuerySession();
        var fingerprinted = Assert.Single(await query.Events.FetchStreamAsync(legacy), e => e.Data is ProviderKeyFingerprinted);
        Assert.Equal(ProviderFingerprints.Actor, ((ProviderKeyFingerprinted)fingerprinted.Data).RecordedBy);
    }
}
