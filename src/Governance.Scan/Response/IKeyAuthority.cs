namespace Governance.Scan.Response;

public enum KeyState
{
    Live,
    Revoked,
    Unknown,
}

/// <summary>The gateway's virtual keys as the scanner sees them: the key's state, and revocation.</summary>
public interface IKeyAuthority
{
    Task<KeyState> LookupAsync(string keyId, CancellationToken ct);

    /// <summary>Revokes the key (idempotent on the API's side) and returns its state after.</summary>
    Task<KeyState> RevokeAsync(string keyId, string reason, CancellationToken ct);
}

/// <summary>
/// SEAM for issue 20, point 2 (provider keys): which registered provider a found provider key is, matched by the
/// SHA-256 fingerprint the gateway records when a provider key is registered; the match endpoint is admin-only.
/// Until that endpoint exists, <see cref="LeakResponder"/> gets none and provider keys stay unverified.
/// To add it: implement this interface over the endpoint in <see cref="GovernanceApi"/> and pass it to
/// <see cref="LeakResponder"/> where <c>ScanCommand</c> builds it.
/// </summary>
public interface IProviderKeyRegistry
{
    /// <summary>The provider's name, or null when no registered provider key has this fingerprint.</summary>
    Task<string?> MatchAsync(string fingerprint, CancellationToken ct);
}

/// <summary>The API refused the token or could not be reached: the run stops, exit code 2.</summary>
public sealed class ApiException(string message) : Exception(message);
