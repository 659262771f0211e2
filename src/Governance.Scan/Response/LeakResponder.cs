using Governance.Scan.Findings;

namespace Governance.Scan.Response;

/// <summary>
/// Acts on findings. Every found virtual key is looked up once (however many places hold it): revoked already, live,
/// or unknown to this gateway; with <c>revoke</c>, a live one is revoked with the reason <c>leaked: &lt;where&gt;</c>
/// (the first place it was found). Provider keys are matched by fingerprint when a registry is given (all of them in one
/// question; a token that may not ask leaves them unverified). An API error
/// stops the work (the keys not yet asked about are "not checked") and is returned for exit code 2.
/// </summary>
public sealed class LeakResponder(IKeyAuthority? keys, IProviderKeyRegistry? providers, bool revoke)
{
    /// <summary>The API checks reasons up to 1,000 characters.</summary>
    public const int MaxReason = 1000;

    public const string NotAdmin = "only an admin token may match provider keys";

    private IReadOnlyList<string> _providerFingerprints = [];
    private IReadOnlyDictionary<string, IReadOnlyList<string>>? _providerMatches;
    private bool _providersAsked;

    public async Task<(IReadOnlyList<Outcome> Outcomes, string? Error)> RespondAsync(IReadOnlyList<Finding> findings, CancellationToken ct)
    {
        // Every provider key is matched in one question, asked when the first one comes up.
        _providerFingerprints = findings.Where(f => f.KeyId is null).Select(f => f.Fingerprint).Distinct(StringComparer.Ordinal).ToList();
        var states = new Dictionary<string, (Status Status, string? Detail)>(StringComparer.Ordinal);
        string? error = null;
        var outcomes = new List<Outcome>(findings.Count);
        foreach (var finding in findings)
        {
            var key = finding.KeyId ?? finding.Fingerprint;
            if (!states.TryGetValue(key, out var state))
            {
                try
                {
                    state = error is not null ? (Status.NotChecked, null) : await DecideAsync(finding, ct);
                }
                catch (ApiException e)
                {
                    error = e.Message;
                    state = (Status.NotChecked, null);
                }
                states[key] = state;
            }
            outcomes.Add(new Outcome(finding, state.Status, state.Detail));
        }
        return (outcomes, error);
    }

    private async Task<(Status, string?)> DecideAsync(Finding finding, CancellationToken ct)
    {
        if (finding.KeyId is not { } keyId)
        {
            if (providers is null)
                return (Status.Unverified, null);
            if (!_providersAsked)
            {
                _providerMatches = await providers.MatchAsync(_providerFingerprints, ct);
                _providersAsked = true;
            }
            if (_providerMatches is null)
                return (Status.Unverified, NotAdmin);
            return _providerMatches.TryGetValue(finding.Fingerprint, out var names) && names.Count > 0
                ? (Status.Live, names.Count == 1
                    ? $"provider '{names[0]}': rotate its key"
                    : $"providers {string.Join(", ", names.Select(n => $"'{n}'"))}: rotate their key")
                : (Status.Unknown, "no registered provider has this key");
        }
        if (keys is null)
            return (Status.Unverified, null);
        switch (await keys.LookupAsync(keyId, ct))
        {
            case KeyState.Revoked:
                return (Status.AlreadyRevoked, null);
            case KeyState.Unknown:
                return (Status.Unknown, null);
            case KeyState.Live when !revoke:
                return (Status.Live, null);
            default:
                var after = await keys.RevokeAsync(keyId, Reason(finding.Location), ct);
                return after == KeyState.Revoked ? (Status.Revoked, null) : throw new ApiException($"the API did not revoke key {keyId}");
        }
    }

    /// <summary><c>leaked: file:line</c> or <c>leaked: commit:path:line</c>, the path shortened to fit the API's limit.</summary>
    public static string Reason(Location location)
    {
        var reason = "leaked: " + location.Where;
        if (reason.Length <= MaxReason)
            return reason;
        var excess = reason.Length - MaxReason + 1;
        var path = location.Path.Length > excess ? "…" + location.Path[excess..] : "…";
        return "leaked: " + (location with { Path = path }).Where;
    }
}
