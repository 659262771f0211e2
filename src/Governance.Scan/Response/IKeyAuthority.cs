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
/// Which registered providers found provider keys are, matched by fingerprint (SHA-256 of the key, as the gateway records
/// it when a provider key is registered or rotated). The gateway's match endpoint is admin-only.
/// </summary>
public interface IProviderKeyRegistry
{
    /// <summary>
    /// The providers whose current key has each fingerprint (fingerprints that match none are left out); null when the
    /// token may not match provider keys.
    /// </summary>
    Task<IReadOnlyDictionary<string, IReadOnlyList<string>>?> MatchAsync(IReadOnlyCollection<string> fingerprints, CancellationToken ct);
}

/// <summary>The API refused the token or could not be reached: the run stops, exit code 2.</summary>
public sealed class ApiException(string message) : Exception(message);
