using Governance.Scan.Detection;
using Governance.Scan.Findings;
using Governance.Scan.Response;

namespace Governance.Tests.Scan;

/// <summary>The decisions of --api/--revoke, against a stand-in for the API (the HTTP side is tested against the real one).</summary>
public sealed class LeakResponderTests
{
    private static readonly SecretRule VirtualKey = SecretRules.Get(SecretRules.VirtualKeyId);
    private static readonly SecretRule OpenAi = SecretRules.Get("openai-api-key");

    private static Finding Key(string keyId, string path, int line = 1, string? commit = null) =>
        new(VirtualKey, new Location(path, line, 1, commit), new string('a', 64), $"gk_{keyId}_…", keyId);

    private sealed class Gateway(Dictionary<string, KeyState> keys, string? failOn = null) : IKeyAuthority
    {
        public List<string> Calls { get; } = [];

        public Task<KeyState> LookupAsync(string keyId, CancellationToken ct)
        {
            Calls.Add("get " + keyId);
            return keyId == failOn ? throw new ApiException("the API answered 503") : Task.FromResult(keys.GetValueOrDefault(keyId, KeyState.Unknown));
        }

        public Task<KeyState> RevokeAsync(string keyId, string reason, CancellationToken ct)
        {
            Calls.Add($"revoke {keyId} {reason}");
            return Task.FromResult(keys[keyId] = KeyState.Revoked);
        }
    }

    private sealed class Providers(string fingerprint, string name, bool admin = true) : IProviderKeyRegistry
    {
        public List<IReadOnlyCollection<string>> Asked { get; } = [];

        public Task<IReadOnlyDictionary<string, IReadOnlyList<string>>?> MatchAsync(IReadOnlyCollection<string> fingerprints, CancellationToken ct)
        {
            Asked.Add(fingerprints);
            IReadOnlyDictionary<string, IReadOnlyList<string>> matches = fingerprints.Where(f => f == fingerprint).ToDictionary(f => f, _ => (IReadOnlyList<string>)[name]);
            return Task.FromResult(admin ? matches : null);
        }
    }

    [Fact]
    public async Task a_key_found_in_several_places_is_looked_up_and_revoked_once_with_the_first_place_as_reason()
    {
        var gateway = new Gateway(new() { ["k1"] = KeyState.Live, ["k2"] = KeyState.Revoked });

        var (outcomes, error) = await new LeakResponder(gateway, null, revoke: true)
            .RespondAsync([Key("k1", "a.txt", 3), Key("k1", "b.txt"), Key("k2", "c.txt"), Key("k3", "d.txt")], default);

        Assert.Null(error);
        Assert.Equal([Status.Revoked, Status.Revoked, Status.AlreadyRevoked, Status.Unknown], outcomes.Select(o => o.Status));
        Assert.Equal(["get k1", "revoke k1 leaked: a.txt:3", "get k2", "get k3"], gateway.Calls);
        Assert.Equal([true, true, false, true], outcomes.Select(o => o.IsLiveOrUnknown));
    }

    [Fact]
    public async Task an_api_error_stops_the_work_and_leaves_the_keys_not_yet_asked_about_not_checked()
    {
        var gateway = new Gateway(new() { ["k1"] = KeyState.Live, ["k3"] = KeyState.Live }, failOn: "k2");

        var (outcomes, error) = await new LeakResponder(gateway, null, revoke: true)
            .RespondAsync([Key("k1", "a.txt"), Key("k2", "b.txt"), Key("k3", "c.txt")], default);

        Assert.Equal("the API answered 503", error);
        Assert.Equal([Status.Revoked, Status.NotChecked, Status.NotChecked], outcomes.Select(o => o.Status));
        Assert.DoesNotContain(gateway.Calls, call => call.Contains("k3"));
    }

    [Fact]
    public async Task provider_keys_stay_unverified_until_a_registry_can_match_their_fingerprint()
    {
        var fingerprint = Detector.Fingerprint("sk-proj-example");
        Finding[] found = [new(OpenAi, new Location(".env", 1, 16), fingerprint, "sk-proj-… sha256:0", null),
                           new(OpenAi, new Location(".env", 2, 16), new string('b', 64), "sk-proj-… sha256:1", null)];

        var registry = new Providers(fingerprint, "openai-prod");
        var (without, _) = await new LeakResponder(null, null, revoke: false).RespondAsync(found, default);
        var (with, _) = await new LeakResponder(null, registry, revoke: false).RespondAsync(found, default);
        var (notAdmin, error) = await new LeakResponder(null, new Providers(fingerprint, "openai-prod", admin: false), revoke: false).RespondAsync(found, default);

        Assert.Equal([Status.Unverified, Status.Unverified], without.Select(o => o.Status));
        Assert.Equal([(Status.Live, "provider 'openai-prod': rotate its key"), (Status.Unknown, "no registered provider has this key")],
            with.Select(o => (o.Status, o.Detail)));
        // One question for every provider key found.
        Assert.Equal([[fingerprint, new string('b', 64)]], registry.Asked);
        Assert.Null(error);
        Assert.All(notAdmin, o => Assert.Equal((Status.Unverified, LeakResponder.NotAdmin), (o.Status, o.Detail)));
    }

    [Fact]
    public void the_reason_names_commit_path_and_line_and_fits_the_apis_limit()
    {
        var commit = new string('c', 40);
        var longPath = string.Join('/', Enumerable.Repeat("deep", 300)) + "/config.yaml";

        var reason = LeakResponder.Reason(new Location(longPath, 42, 7, commit));

        Assert.Equal($"leaked: {commit}:src/app.py:42", LeakResponder.Reason(new Location("src/app.py", 42, 7, commit)));
        Assert.Equal(LeakResponder.MaxReason, reason.Length);
        Assert.StartsWith($"leaked: {commit}:…", reason);
        Assert.EndsWith("/config.yaml:42", reason);
    }
}
